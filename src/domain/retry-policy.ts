/**
 * What to do after the Graph API refused a send (notes/meta-cloud-api.md section 8). Keyed on
 * Meta's error `code`, not on the HTTP status, which differs between copies of Meta's table.
 */
export type RetryDecision =
  | { kind: 'retry'; /** Minimum wait before the next attempt. */ waitMs: number; reason: string }
  | { kind: 'permanent'; reason: string }
  /** The channel's access token is expired or revoked: no retry until an admin replaces it. */
  | { kind: 'token'; reason: string };

const SECOND = 1000;

const RETRYABLE: Record<number, { waitMs: number; reason: string }> = {
  130429: { waitMs: 1 * SECOND, reason: 'throughput limit of the phone number' },
  131056: { waitMs: 4 * SECOND, reason: 'pair rate limit for this recipient' },
  80007: { waitMs: 60 * SECOND, reason: 'WhatsApp Business Account rate limit' },
  4: { waitMs: 60 * SECOND, reason: 'application rate limit' },
  131057: { waitMs: 60 * SECOND, reason: 'account in maintenance' },
  1: { waitMs: 2 * SECOND, reason: 'unknown error at Meta' },
  2: { waitMs: 2 * SECOND, reason: 'Meta service temporarily unavailable' },
  131000: { waitMs: 2 * SECOND, reason: 'something went wrong at Meta' },
  131016: { waitMs: 5 * SECOND, reason: 'service unavailable' },
};

export function classifyMetaError(code: number | null, httpStatus: number): RetryDecision {
  if (code === 190) return { kind: 'token', reason: 'access token expired or invalid' };
  if (code !== null && RETRYABLE[code]) return { kind: 'retry', ...RETRYABLE[code]! };
  if (code === null && (httpStatus === 429 || httpStatus >= 500)) {
    return { kind: 'retry', waitMs: 2 * SECOND, reason: `HTTP ${httpStatus} without a Meta error code` };
  }
  return { kind: 'permanent', reason: code === null ? `HTTP ${httpStatus}` : `Meta error ${code}` };
}

/**
 * Exponential backoff with full jitter, never below Meta's own minimum wait for the error:
 * attempt 1 waits about base, attempt 2 about 2x base, ... up to `capMs`.
 */
export function backoffMs(attempt: number, minimumMs: number, random = Math.random, baseMs = 1000, capMs = 5 * 60 * SECOND): number {
  const exponential = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(minimumMs, Math.round(exponential / 2 + random() * (exponential / 2)));
}

/** Attempts a send gets before it is marked FAILED. */
export const MAX_SEND_ATTEMPTS = 8;
