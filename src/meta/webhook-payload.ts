import { isSafeNumber, parse } from 'lossless-json';

/** Shapes of Meta's webhook payloads (notes/meta-cloud-api.md sections 4-6). Every field is untrusted. */
export interface WebhookEnvelope {
  object?: unknown;
  entry?: WebhookEntry[];
}

export interface WebhookEntry {
  id?: string;
  time?: number;
  changes?: WebhookChange[];
}

export interface WebhookChange {
  field?: string;
  value?: Record<string, unknown>;
}

export interface MetaError {
  code?: number | string;
  title?: string;
  message?: string;
  error_data?: { details?: string };
  href?: string;
}

export interface InboundMessagePayload {
  id?: string;
  from?: string;
  timestamp?: string;
  type?: string;
  context?: { from?: string; id?: string; forwarded?: boolean; frequently_forwarded?: boolean; referred_product?: unknown };
  referral?: Record<string, unknown>;
  errors?: MetaError[];
  [type: string]: unknown;
}

export interface StatusPayload {
  id?: string;
  status?: string;
  timestamp?: string;
  recipient_id?: string;
  biz_opaque_callback_data?: string;
  pricing?: { category?: string; pricing_model?: string; type?: string; billable?: boolean };
  conversation?: Record<string, unknown>;
  errors?: MetaError[];
}

export interface ContactPayload {
  wa_id?: string;
  user_id?: string;
  profile?: { name?: string; username?: string };
}

export const WHATSAPP_OBJECT = 'whatsapp_business_account';

/** The change fields we act on; anything else is acknowledged and ignored. */
export const KNOWN_FIELDS = new Set([
  'messages',
  'message_template_status_update',
  'message_template_quality_update',
  'template_category_update',
  'phone_number_quality_update',
  'account_update',
]);

/**
 * Parses a delivery without losing precision: integers beyond 2^53 (template ids) stay exact as
 * strings; every other number is a number.
 */
export function parseDelivery(raw: string): WebhookEnvelope {
  return parse(raw, undefined, (value: string) => (isSafeNumber(value) ? Number(value) : value)) as WebhookEnvelope;
}

/** Meta's unix-seconds timestamp string as a Date, or null when it is not one. */
export function metaTime(value: unknown): Date | null {
  const seconds = typeof value === 'string' && /^\d{1,12}$/.test(value) ? Number(value) : typeof value === 'number' ? value : NaN;
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : null;
}
