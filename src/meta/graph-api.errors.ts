import { classifyMetaError, type RetryDecision } from '../domain/retry-policy';

/** Meta answered with an error body: code, title, details and what to do about it. */
export class GraphApiError extends Error {
  readonly decision: RetryDecision;

  constructor(
    readonly httpStatus: number,
    readonly code: number | null,
    readonly title: string,
    readonly details: string | null,
    readonly fbtraceId: string | null,
  ) {
    super(`Graph API ${httpStatus}${code !== null ? ` (#${code})` : ''}: ${title}`);
    this.name = 'GraphApiError';
    this.decision = classifyMetaError(code, httpStatus);
  }

  /** Parses Meta's `{ error: { message, code, error_data: { details }, fbtrace_id } }`. */
  static fromResponse(httpStatus: number, body: unknown): GraphApiError {
    const error = (body as { error?: Record<string, unknown> } | null)?.error ?? {};
    const code = typeof error.code === 'number' ? error.code : Number.isInteger(Number(error.code)) && error.code != null ? Number(error.code) : null;
    const message = typeof error.message === 'string' ? error.message : `HTTP ${httpStatus}`;
    // Meta prefixes messages with "(#131056) "; the title is the rest.
    const title = message.replace(/^\(#\d+\)\s*/, '') || `HTTP ${httpStatus}`;
    const data = error.error_data as { details?: unknown } | undefined;
    return new GraphApiError(
      httpStatus,
      code,
      title,
      typeof data?.details === 'string' ? data.details : null,
      typeof error.fbtrace_id === 'string' ? error.fbtrace_id : null,
    );
  }
}

/**
 * The request may have reached Meta but no answer came back (timeout, connection reset after
 * sending). Sending again could deliver twice; the status webhook tells what happened.
 */
export class GraphUnknownOutcomeError extends Error {
  constructor(reason: string) {
    super(`Graph API outcome unknown: ${reason}`);
    this.name = 'GraphUnknownOutcomeError';
  }
}

/** The request certainly did not reach Meta (connection refused, DNS): safe to retry. */
export class GraphUnreachableError extends Error {
  constructor(reason: string) {
    super(`Graph API unreachable: ${reason}`);
    this.name = 'GraphUnreachableError';
  }
}
