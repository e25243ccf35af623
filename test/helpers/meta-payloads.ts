/**
 * Realistic Meta webhook payloads, written from the documented shapes (../shared/notes/meta-cloud-api.md
 * sections 4-6): inbound messages of every type, statuses, and template, phone number and account
 * events. Plus the few steps every webhook test repeats (deliver and wait, read rows, an outbound row).
 */
import { randomBytes } from 'node:crypto';
import { systemEm } from '../../src/db/entity-manager';
import { Message, MessageDirection, MessageType } from '../../src/entities/message.entity';
import { MessageStatus } from '../../src/domain/message-status';
import { businessEnvelope, messagesEnvelope, postWebhook, unixSeconds, wamid, type ChannelRef } from './meta-webhook';
import type { TestApp } from './test-app';
import { waitForQueuesIdle } from './wait';

export type Payload = Record<string, any>;

// ---------------------------------------------------------------------------------------------
// Inbound messages (`value.messages[]`)
// ---------------------------------------------------------------------------------------------

export interface MessageOptions {
  id?: string;
  at?: Date;
  /** Reply (`{ from, id }`), forward (`{ forwarded: true }`) or button context. */
  context?: Payload;
  referral?: Payload;
  errors?: Payload[];
}

/** Media ids are digit strings; sha256 is opaque (base64 today, hex in old examples). */
const mediaId = () => String(BigInt(`0x${randomBytes(7).toString('hex')}`));
const sha256 = () => randomBytes(32).toString('base64');
const mediaUrl = (id: string) => `https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=${id}&ext=1731000000&hash=ATt`;

function media(extra: Payload) {
  const id = mediaId();
  return { id, mime_type: 'application/octet-stream', sha256: sha256(), url: mediaUrl(id), ...extra };
}

/** One inbound message: the common fields and the body under the key named by its type. */
export function inboundMessage(from: string, type: string, body: unknown, options: MessageOptions = {}): Payload {
  return {
    from,
    id: options.id ?? wamid(),
    timestamp: unixSeconds(options.at),
    type,
    ...(options.context ? { context: options.context } : {}),
    ...(options.referral ? { referral: options.referral } : {}),
    ...(options.errors ? { errors: options.errors } : {}),
    [type]: body,
  };
}

/** A reply context: the customer answered `id`, a message our business number sent. */
export const replyTo = (id: string, businessNumber = '15550100000') => ({ from: businessNumber, id });

export const message = {
  text: (from: string, body: string, o?: MessageOptions) => inboundMessage(from, 'text', { body }, o),
  image: (from: string, caption?: string, o?: MessageOptions) =>
    inboundMessage(from, 'image', media({ mime_type: 'image/jpeg', ...(caption !== undefined ? { caption } : {}) }), o),
  video: (from: string, caption?: string, o?: MessageOptions) =>
    inboundMessage(from, 'video', media({ mime_type: 'video/mp4', ...(caption !== undefined ? { caption } : {}) }), o),
  audio: (from: string, voice: boolean, o?: MessageOptions) =>
    inboundMessage(from, 'audio', media({ mime_type: voice ? 'audio/ogg; codecs=opus' : 'audio/mpeg', voice }), o),
  document: (from: string, filename: string, caption?: string, o?: MessageOptions) =>
    inboundMessage(from, 'document', media({ mime_type: 'application/pdf', filename, ...(caption !== undefined ? { caption } : {}) }), o),
  sticker: (from: string, animated: boolean, o?: MessageOptions) =>
    inboundMessage(from, 'sticker', media({ mime_type: 'image/webp', animated }), o),
  location: (from: string, place: { latitude: number; longitude: number; name?: string; address?: string; url?: string }, o?: MessageOptions) =>
    inboundMessage(from, 'location', place, o),
  contacts: (from: string, cards: Payload[], o?: MessageOptions) => inboundMessage(from, 'contacts', cards, o),
  buttonReply: (from: string, reply: { id: string; title: string }, to: string, o?: MessageOptions) =>
    inboundMessage(from, 'interactive', { type: 'button_reply', button_reply: reply }, { context: replyTo(to), ...o }),
  listReply: (from: string, reply: { id: string; title: string; description?: string }, to: string, o?: MessageOptions) =>
    inboundMessage(from, 'interactive', { type: 'list_reply', list_reply: reply }, { context: replyTo(to), ...o }),
  /** A template's quick-reply button. */
  quickReply: (from: string, button: { payload: string; text: string }, to: string, o?: MessageOptions) =>
    inboundMessage(from, 'button', button, { context: replyTo(to), ...o }),
  /** A reaction to `target`; without an emoji it removes the customer's reaction. */
  reaction: (from: string, target: string, emoji?: string, o?: MessageOptions) =>
    inboundMessage(from, 'reaction', { message_id: target, ...(emoji !== undefined ? { emoji } : {}) }, o),
  /** What Meta sends for a message the Cloud API cannot show (polls, edits, ...). */
  unsupported: (from: string, kind: string, o?: MessageOptions) =>
    inboundMessage(from, 'unsupported', { type: kind }, {
      errors: [metaError(131051, 'Message type unknown', 'Message type is currently not supported.')],
      ...o,
    }),
};

/** A vCard as Meta sends it in a `contacts` message. */
export const contactCard = (name: string, phone: string, waId?: string) => ({
  name: { formatted_name: name, first_name: name.split(' ')[0], last_name: name.split(' ').slice(1).join(' ') || undefined },
  phones: [{ phone, type: 'CELL', ...(waId ? { wa_id: waId } : {}) }],
  emails: [{ email: `${name.split(' ')[0]!.toLowerCase()}@example.com`, type: 'WORK' }],
  org: { company: 'Example Ltda' },
});

/** A click-to-WhatsApp ad referral. */
export const adReferral = (overrides: Payload = {}) => ({
  source_url: 'https://fb.me/3cr4Wqqkv',
  source_id: '120210000000000001',
  source_type: 'ad',
  body: 'Free delivery this week only',
  headline: 'Order now',
  media_type: 'image',
  image_url: 'https://scontent.xx.fbcdn.net/v/t45.1600-4/ad.png',
  ctwa_clid: 'ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-GABDLOPaOdRMXP4XUWQ',
  welcome_message: { text: 'Hi! How can we help?' },
  ...overrides,
});

/** Meta's error shape, the same in `value.errors`, `messages[].errors` and `statuses[].errors`. */
export const metaError = (code: number, title: string, details: string) => ({
  code,
  title,
  message: title,
  error_data: { details },
  href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
});

// ---------------------------------------------------------------------------------------------
// Envelopes
// ---------------------------------------------------------------------------------------------

export interface Customer {
  waId: string;
  name: string;
}

/** `value.contacts[]` entry: the sender's profile. */
export const profile = (customer: Customer) => ({ profile: { name: customer.name }, wa_id: customer.waId });

/** Messages from one customer to one channel, in one delivery. */
export const fromCustomer = (channel: ChannelRef, customer: Customer, ...messages: Payload[]) =>
  messagesEnvelope(channel, { contacts: [profile(customer)], messages });

/** One POST carrying the entries of several envelopes (Meta batches up to 1,000 updates). */
export const batch = (...envelopes: { entry: unknown[] }[]) => ({
  object: 'whatsapp_business_account',
  entry: envelopes.flatMap((envelope) => envelope.entry),
});

// ---------------------------------------------------------------------------------------------
// Statuses (`value.statuses[]`)
// ---------------------------------------------------------------------------------------------

export type MetaStatus = 'sent' | 'delivered' | 'read' | 'failed' | 'played';

export interface StatusOptions {
  at?: Date;
  recipient?: string;
  pricing?: Payload;
  errors?: Payload[];
}

/** Per-message pricing, as sent on `sent` and on one of `delivered`/`read`. */
export const pricing = (category: string, type = 'regular') => ({ billable: true, pricing_model: 'PMP', type, category });

export const status = (id: string, name: MetaStatus, options: StatusOptions = {}): Payload => ({
  id,
  status: name,
  timestamp: unixSeconds(options.at),
  recipient_id: options.recipient ?? '5511988880000',
  ...(options.pricing ? { pricing: options.pricing } : {}),
  ...(options.errors ? { errors: options.errors } : {}),
});

export const statuses = (channel: ChannelRef, ...items: Payload[]) => messagesEnvelope(channel, { statuses: items });

// ---------------------------------------------------------------------------------------------
// Template, phone number and account events (entry.id is the WABA id)
// ---------------------------------------------------------------------------------------------

export interface TemplateRef {
  /** Meta's id: a number in the JSON. */
  id: number;
  name: string;
  language: string;
}

export const templateStatus = (wabaId: string, template: TemplateRef, event: string, details: Payload = {}) =>
  businessEnvelope(wabaId, 'message_template_status_update', {
    event,
    message_template_id: template.id,
    message_template_name: template.name,
    message_template_language: template.language,
    reason: event === 'REJECTED' ? 'INVALID_FORMAT' : 'NONE',
    ...details,
  });

export const templateQuality = (wabaId: string, template: TemplateRef, previous: string, next: string) =>
  businessEnvelope(wabaId, 'message_template_quality_update', {
    previous_quality_score: previous,
    new_quality_score: next,
    message_template_id: template.id,
    message_template_name: template.name,
    message_template_language: template.language,
  });

/** The category changed. */
export const templateCategoryChanged = (wabaId: string, template: TemplateRef, previous: string, next: string) =>
  businessEnvelope(wabaId, 'template_category_update', {
    message_template_id: template.id,
    message_template_name: template.name,
    message_template_language: template.language,
    previous_category: previous,
    new_category: next,
  });

/** The advance warning, 24 h before: `new_category` is still the current one. */
export const templateCategoryWarning = (wabaId: string, template: TemplateRef, current: string, correct: string, at: Date) =>
  businessEnvelope(wabaId, 'template_category_update', {
    message_template_id: template.id,
    message_template_name: template.name,
    message_template_language: template.language,
    new_category: current,
    correct_category: correct,
    category_update_timestamp: Math.floor(at.getTime() / 1000),
  });

export const phoneNumberQuality = (wabaId: string, displayPhoneNumber: string, event: string, tier: string) =>
  businessEnvelope(wabaId, 'phone_number_quality_update', {
    display_phone_number: displayPhoneNumber.replace(/\D/g, ''),
    event,
    max_daily_conversations_per_business: tier,
  });

export const accountUpdate = (wabaId: string, event: string, details: Payload = {}) =>
  businessEnvelope(wabaId, 'account_update', { event, ...details });

// ---------------------------------------------------------------------------------------------
// Steps every webhook test repeats
// ---------------------------------------------------------------------------------------------

/** POSTs a signed delivery (an object, or a raw string sent byte for byte), expects 200, waits until processed. */
export async function deliver(app: TestApp, body: unknown): Promise<void> {
  const response = await postWebhook(app.url, body);
  expect(response).toMatchObject({ status: 200 });
  await waitForQueuesIdle(app.queues);
}

/** Rows of one SQL query against the app's database. */
export async function rows<T = Record<string, any>>(app: TestApp, text: string, params: unknown[] = []): Promise<T[]> {
  return (await app.orm.em.fork().getConnection().execute(text, params, 'all')) as T[];
}

/** The stored delivery whose raw body is exactly `raw`. */
export async function deliveryOf(app: TestApp, raw: string): Promise<{ id: string; status: string; issues: Payload[] | null }> {
  const [row] = await rows<{ id: string; status: string; issues: Payload[] | null }>(
    app,
    'select id, status, issues from webhook_delivery where raw_body = ? order by received_at desc limit 1',
    [raw],
  );
  if (!row) throw new Error('no webhook_delivery row has this raw body');
  return row;
}

/**
 * An outbound message as the send pipeline will store it (that pipeline is not built yet): a row
 * with our wamid in an existing conversation, so status webhooks have something to apply to.
 */
export async function insertOutboundMessage(
  app: TestApp,
  conversationId: string,
  options: { wamid?: string; status?: MessageStatus; text?: string } = {},
): Promise<{ id: string; wamid: string }> {
  const em = systemEm(app.orm);
  const [conversation] = await rows<{ organization_id: string; channel_id: string }>(
    app,
    'select organization_id, channel_id from conversation where id = ?',
    [conversationId],
  );
  if (!conversation) throw new Error(`conversation ${conversationId} does not exist`);
  const id = options.wamid ?? wamid();
  const row = em.create(Message, {
    organization: conversation.organization_id,
    conversation: conversationId,
    channel: conversation.channel_id,
    direction: MessageDirection.OUT,
    type: MessageType.TEXT,
    text: options.text ?? 'Your order #1042 has shipped',
    wamid: id,
    status: options.status ?? MessageStatus.SENT,
    payload: { messaging_product: 'whatsapp', type: 'text', text: { body: options.text ?? 'Your order #1042 has shipped' } },
  });
  await em.flush();
  return { id: row.id, wamid: id };
}
