import { KNOWN_FIELDS, WHATSAPP_OBJECT } from '../meta/webhook-payload';

/** Meta's payloads nest about eight levels; far deeper is hostile and would overflow recursive parsers later. */
const MAX_DEPTH = 32;

export type EnvelopeVerdict = 'not-json' | 'invalid' | 'ignore' | 'store';

function depthExceeds(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth > MAX_DEPTH) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (depthExceeds(item, depth + 1)) return true;
    return false;
  }
  for (const key in value) if (depthExceeds((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

const handlesAnyChange = (entry: unknown): boolean => {
  const changes = (entry as { changes?: unknown } | null)?.changes;
  if (!Array.isArray(changes)) return false;
  for (const change of changes) {
    // Not String(field): a hostile object field ({"toString": 1}) makes that throw.
    const field = (change as { field?: unknown } | null)?.field;
    if (typeof field === 'string' && KNOWN_FIELDS.has(field)) return true;
  }
  return false;
};

/**
 * Which of Meta's envelopes we store: a WhatsApp delivery with at least one change we handle.
 * Everything else is refused (not an envelope) or acknowledged and dropped (another product, or
 * only fields we do not act on). The full walk happens in the worker.
 */
export function classifyEnvelope(text: string): EnvelopeVerdict {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'not-json';
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'invalid';
  // Parsing is bounded by the body limit; the depth is checked before anything walks the value.
  if (depthExceeds(body, 1)) return 'invalid';
  const envelope = body as { object?: unknown; entry?: unknown };
  if (!Array.isArray(envelope.entry)) return 'invalid';
  if (envelope.object !== WHATSAPP_OBJECT) return 'ignore';
  for (const entry of envelope.entry) if (handlesAnyChange(entry)) return 'store';
  return 'ignore';
}
