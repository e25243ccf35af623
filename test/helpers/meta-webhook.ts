import { signBody } from '../../src/meta/webhook-signature';
import { TEST_SECRETS } from './test-env';

let sequence = 0;
/** A fresh, realistic wamid. */
export const wamid = () => `wamid.HBgL${Date.now().toString(36)}${(sequence++).toString(36)}${Math.random().toString(36).slice(2, 10)}`.toUpperCase();

export const unixSeconds = (date = new Date()) => String(Math.floor(date.getTime() / 1000));

/** POSTs a body to /webhooks/meta signed with the test app secret (or a given signature). */
export async function postWebhook(baseUrl: string, body: unknown, options: { signature?: string | null; secret?: string } = {}) {
  const raw = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const signature = options.signature === undefined ? signBody(raw, options.secret ?? TEST_SECRETS.META_APP_SECRET) : options.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  const response = await fetch(`${baseUrl}/webhooks/meta`, { method: 'POST', headers, body: raw });
  return { status: response.status, text: await response.text() };
}

export interface ChannelRef {
  phoneNumberId: string;
  wabaId: string;
  displayPhoneNumber: string;
}

/** `{ object, entry: [{ id, changes: [{ field: 'messages', value }] }] }` for one channel. */
export function messagesEnvelope(channel: ChannelRef, value: Record<string, unknown>) {
  return {
    object: 'whatsapp_business_account',
    entry: [{ id: channel.wabaId, changes: [{ field: 'messages', value: messagesValue(channel, value) }] }],
  };
}

export function messagesValue(channel: ChannelRef, value: Record<string, unknown>) {
  return {
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: channel.displayPhoneNumber.replace(/\D/g, ''), phone_number_id: channel.phoneNumberId },
    ...value,
  };
}

/** An inbound text message from `from`, with its contact profile. */
export function textMessage(channel: ChannelRef, from: string, body: string, options: { id?: string; at?: Date; name?: string } = {}) {
  return messagesEnvelope(channel, {
    contacts: [{ profile: { name: options.name ?? 'Maria Souza' }, wa_id: from }],
    messages: [{ from, id: options.id ?? wamid(), timestamp: unixSeconds(options.at), type: 'text', text: { body } }],
  });
}

/** A status webhook for one of our outbound messages. */
export function statusEnvelope(channel: ChannelRef, status: Record<string, unknown>) {
  return messagesEnvelope(channel, { statuses: [status] });
}

/** A non-messages change (template, phone number, account) for a WABA. */
export function businessEnvelope(wabaId: string, field: string, value: Record<string, unknown>) {
  return { object: 'whatsapp_business_account', entry: [{ id: wabaId, time: Math.floor(Date.now() / 1000), changes: [{ field, value }] }] };
}
