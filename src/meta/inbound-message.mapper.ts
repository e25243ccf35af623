import { MessageType } from '../entities/message.entity';
import { safeJson, safeText } from '../domain/safe-text';
import type { InboundMessagePayload } from './webhook-payload';

/** Null prototypes: a message whose type is "constructor" or "toString" is UNKNOWN, not Object's method. */
const typeTable = (entries: Record<string, MessageType>): Record<string, MessageType> =>
  Object.assign(Object.create(null) as Record<string, MessageType>, entries);

const MEDIA_TYPES = typeTable({
  image: MessageType.IMAGE,
  video: MessageType.VIDEO,
  audio: MessageType.AUDIO,
  document: MessageType.DOCUMENT,
  sticker: MessageType.STICKER,
});

const SIMPLE_TYPES = typeTable({
  contacts: MessageType.CONTACTS,
  order: MessageType.ORDER,
  system: MessageType.SYSTEM,
  unsupported: MessageType.UNSUPPORTED,
});

/** What we store of one inbound message, whatever its type. */
export interface MappedInboundMessage {
  type: MessageType;
  text: string | null;
  media: Record<string, unknown> | null;
  location: Record<string, unknown> | null;
  replyToWamid: string | null;
  context: Record<string, unknown> | null;
  referral: Record<string, unknown> | null;
  /** For reactions: the message reacted to, and the emoji (null when the reaction was removed). */
  reaction: { targetWamid: string; emoji: string | null } | null;
  error: { code: string; title: string | null; details: string | null } | null;
}

const asRecord = (value: unknown): Record<string, unknown> | null =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;

const str = (value: unknown): string | null => (typeof value === 'string' ? safeText(value) : null);

function interactiveText(interactive: Record<string, unknown> | null): string | null {
  if (!interactive) return null;
  const reply = asRecord(interactive.button_reply) ?? asRecord(interactive.list_reply);
  if (reply) return str(reply.title);
  const flow = asRecord(interactive.nfm_reply);
  return flow ? (str(flow.body) ?? str(flow.name)) : null;
}

/** Pure: Meta's message JSON -> our columns. Unknown types are kept raw as UNKNOWN. */
export function mapInboundMessage(message: InboundMessagePayload): MappedInboundMessage {
  const kind = typeof message.type === 'string' ? message.type : '';
  const body = asRecord(message[kind]);
  const mapped: MappedInboundMessage = {
    type: MessageType.UNKNOWN,
    text: null,
    media: null,
    location: null,
    replyToWamid: null,
    context: null,
    referral: message.referral ? safeJson(asRecord(message.referral)) : null,
    reaction: null,
    error: null,
  };

  if (kind === 'text') {
    mapped.type = MessageType.TEXT;
    mapped.text = str(body?.body);
  } else if (MEDIA_TYPES[kind]) {
    mapped.type = MEDIA_TYPES[kind]!;
    mapped.media = body ? safeJson(body) : null;
    mapped.text = str(body?.caption);
  } else if (kind === 'location') {
    mapped.type = MessageType.LOCATION;
    mapped.location = body ? safeJson(body) : null;
    mapped.text = str(body?.name) ?? str(body?.address);
  } else if (kind === 'interactive') {
    mapped.type = MessageType.INTERACTIVE;
    mapped.text = interactiveText(body);
  } else if (kind === 'button') {
    mapped.type = MessageType.BUTTON;
    mapped.text = str(body?.text) ?? str(body?.payload);
  } else if (kind === 'reaction') {
    mapped.type = MessageType.REACTION;
    const target = str(body?.message_id);
    if (target) mapped.reaction = { targetWamid: target, emoji: str(body?.emoji) || null };
  } else if (SIMPLE_TYPES[kind]) {
    mapped.type = SIMPLE_TYPES[kind]!;
    if (kind === 'system') mapped.text = str(body?.body);
  }

  const context = asRecord(message.context);
  if (context) {
    mapped.replyToWamid = str(context.id);
    const { from: _from, id: _id, ...rest } = context;
    mapped.context = Object.keys(rest).length ? safeJson(rest) : null;
  }
  const error = Array.isArray(message.errors) ? asRecord(message.errors[0]) : null;
  if (error) {
    const details = asRecord(error.error_data);
    const code = typeof error.code === 'number' || typeof error.code === 'string' ? safeText(String(error.code)) : '';
    mapped.error = { code, title: str(error.title) ?? str(error.message), details: str(details?.details) };
  }
  return mapped;
}
