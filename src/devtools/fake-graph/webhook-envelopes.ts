import { randomBytes } from 'node:crypto';
import { defaultTitle } from './graph-error';
import type { NumberInfo, SentMessage } from './fake-graph-state';

/**
 * The webhook bodies Meta posts (notes/meta-cloud-api.md sections 4-6), built from what the fake
 * knows. Pure: the emitter signs and posts them.
 */

export type StatusName = 'sent' | 'delivered' | 'read' | 'failed';

export interface InboundContent {
  text?: string;
  buttonReply?: { id: string; title: string };
  listReply?: { id: string; title: string };
}

const unixSeconds = (at = new Date()) => String(Math.floor(at.getTime() / 1000));

function messagesEnvelope(phoneNumberId: string, number: NumberInfo, value: Record<string, unknown>) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: number.wabaId ?? '0',
        changes: [
          {
            field: 'messages',
            value: { messaging_product: 'whatsapp', metadata: { display_phone_number: number.displayPhoneNumber, phone_number_id: phoneNumberId }, ...value },
          },
        ],
      },
    ],
  };
}

/**
 * Per-message pricing (PMP since July 2025), on `sent` and `delivered`: a template is billed in
 * its category; a free-form reply inside the customer-service window is free.
 */
function pricing(message: SentMessage, templateCategory: string | undefined) {
  return message.type === 'template'
    ? { billable: true, pricing_model: 'PMP', category: (templateCategory ?? 'utility').toLowerCase(), type: 'regular' }
    : { billable: false, pricing_model: 'PMP', category: 'service', type: 'free_customer_service' };
}

export function statusEnvelope(
  message: SentMessage,
  number: NumberInfo,
  status: StatusName,
  options: { errorCode?: number; errorTitle?: string; templateCategory?: string } = {},
) {
  const code = options.errorCode ?? 131026;
  const title = options.errorTitle ?? defaultTitle(code);
  const item = {
    id: message.wamid,
    status,
    timestamp: unixSeconds(),
    recipient_id: message.recipientId,
    ...(message.bizOpaqueCallbackData !== undefined ? { biz_opaque_callback_data: message.bizOpaqueCallbackData } : {}),
    ...(status === 'sent' || status === 'delivered' ? { pricing: pricing(message, options.templateCategory) } : {}),
    ...(status === 'failed'
      ? { errors: [{ code, title, message: title, error_data: { details: title }, href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/' }] }
      : {}),
  };
  return messagesEnvelope(message.phoneNumberId, number, { statuses: [item] });
}

/** A fresh inbound wamid (Meta's are base64; ours only need to be unique and look alike). */
export const inboundWamid = () => `wamid.${Buffer.concat([Buffer.from([0x1c, 0x18, 0x0c]), randomBytes(30)]).toString('base64')}`;

export function inboundEnvelope(
  phoneNumberId: string,
  number: NumberInfo,
  from: string,
  content: InboundContent,
  options: { name?: string; wamid?: string; replyTo?: string } = {},
) {
  const common = { from, id: options.wamid ?? inboundWamid(), timestamp: unixSeconds() };
  const context = options.replyTo ? { context: { from: number.displayPhoneNumber, id: options.replyTo } } : {};
  let message: Record<string, unknown>;
  if (content.buttonReply) {
    message = { ...context, ...common, type: 'interactive', interactive: { type: 'button_reply', button_reply: content.buttonReply } };
  } else if (content.listReply) {
    message = { ...context, ...common, type: 'interactive', interactive: { type: 'list_reply', list_reply: content.listReply } };
  } else {
    message = { ...common, type: 'text', text: { body: content.text ?? '' } };
  }
  return messagesEnvelope(phoneNumberId, number, { contacts: [{ profile: { name: options.name ?? 'Test Customer' }, wa_id: from }], messages: [message] });
}

/** Placeholder replaced by the raw digits, so the id goes out as a JSON number beyond 2^53, as Meta sends it. */
const TEMPLATE_ID_SLOT = '__fake_graph_template_id__';

export function templateStatusRaw(
  wabaId: string,
  template: { id: string; name: string; language: string; category: string },
  event: string,
  extra: Record<string, unknown> = {},
): string {
  const value = {
    event,
    message_template_id: TEMPLATE_ID_SLOT,
    message_template_name: template.name,
    message_template_language: template.language,
    reason: event === 'REJECTED' ? 'INVALID_FORMAT' : 'NONE',
    message_template_category: template.category,
    ...extra,
  };
  const envelope = {
    object: 'whatsapp_business_account',
    entry: [{ id: wabaId, time: Math.floor(Date.now() / 1000), changes: [{ field: 'message_template_status_update', value }] }],
  };
  return metaJson(envelope).replace(`"${TEMPLATE_ID_SLOT}"`, template.id);
}

/**
 * JSON as Meta writes it: non-ASCII as lowercase `\uXXXX` escapes and `/` as `\/`. The signature
 * covers these exact bytes, so a receiver that re-serialises the parsed body fails to verify.
 */
export function metaJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, '\\/')
    .replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
