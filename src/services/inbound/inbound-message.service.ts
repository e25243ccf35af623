import { randomUUID } from 'node:crypto';
import { ConversationEventType } from '../../entities/conversation-event.entity';
import { ConversationStatus } from '../../entities/conversation.entity';
import { MessageType } from '../../entities/message.entity';
import type { EntityManager } from '../../db/entity-manager';
import { DeferredWrites } from '../../db/deferred-writes';
import { jsonRows, jsonRowsValues, sql } from '../../db/sql';
import { safeJson, safeText } from '../../domain/safe-text';
import { windowExpiry } from '../../domain/window-policy';
import { mapInboundMessage, type MappedInboundMessage } from '../../meta/inbound-message.mapper';
import { metaTime, type ContactPayload, type InboundMessagePayload } from '../../meta/webhook-payload';
import { appendEvent, type EventDraft } from './conversation-log';
import { QuarantineError } from './quarantine-error';
import {
  BOT_CONVERSATION_COLUMNS,
  keywordFlowSql,
  botConversationOf,
  keywordOf,
  runBotForInbound,
  type BotConversationRow,
  type BotTurn,
} from '../flows/bot-runtime.service';
import type { InboundInput } from '../../domain/flow/flow-engine';

/** The channel a message arrived on, as far as storing it needs. */
export interface InboundChannel {
  id: string;
  organization: { id: string };
}

/** One inbound message to store, with the sender's profile from the same change. */
export interface InboundItem {
  channel: InboundChannel;
  message: InboundMessagePayload;
  profile: ContactPayload | undefined;
}

export interface InboundResult {
  duplicate: boolean;
  conversationId: string;
  messageId: string | null;
  events: EventDraft[];
  /** What the bot did with the message (replies to send after the commit). */
  bot: BotTurn | null;
}

/** The engine's view of a customer message: a tapped button or list row, text, or anything else. */
function engineInput(message: InboundMessagePayload, text: string | null): InboundInput {
  // Untrusted shapes: only strings are used, so a hostile value can never break the message.
  const str = (value: unknown) => (typeof value === 'string' ? safeText(value) : '');
  const interactive = message.interactive as { button_reply?: Record<string, unknown>; list_reply?: Record<string, unknown> } | undefined;
  const reply = interactive?.button_reply ?? interactive?.list_reply;
  if (reply && str(reply.id)) return { kind: 'reply', id: str(reply.id), title: str(reply.title) };
  const button = message.button as Record<string, unknown> | undefined;
  if (message.type === 'button' && button && (str(button.payload) || str(button.text))) {
    return { kind: 'reply', id: str(button.payload) || str(button.text), title: str(button.text) };
  }
  if (message.type === 'text' && text !== null) return { kind: 'text', text };
  return { kind: 'other', text };
}

/** A profile field as safe text; anything but a non-empty string (the payload is untrusted) is null. */
const textOrNull = (value: unknown): string | null => (typeof value === 'string' && value ? safeText(value) : null);

interface StoredRow extends BotConversationRow {
  contact_id: string;
  /** The conversation is new. */
  inserted: boolean;
  /** False when a message with this wamid was stored before: a duplicate delivery. */
  message_inserted: boolean;
  keyword_flow_id: string | null;
  keyword_flow_version: number | null;
}

/** One message on its way into the store. */
interface PreparedMessage {
  channel: InboundChannel;
  payload: InboundMessagePayload & { id: string; from: string };
  profile: ContactPayload | undefined;
  at: Date;
  mapped: MappedInboundMessage;
  /** Our id for it (used when it is new). */
  id: string;
}

/**
 * Upserts each message's contact and conversation on its channel and inserts the message, for a
 * whole group of messages in one statement that also reads what the bot needs: each conversation's
 * state, its channel's default flow, and the flow the message's keyword starts. Idempotent by
 * wamid, also under concurrent duplicates (the unique index decides). A later delivery of an older
 * message never rewinds `lastSeenAt` nor brings back an older profile (name, username): the profile
 * of the newest message wins. The conversation rows stay locked until the commit, so one
 * customer's messages are processed one at a time.
 *
 * The group holds one message per contact (organization, sender): a row may not be upserted twice
 * by one statement. Rows are written in the group's order, which callers keep the same for every
 * group (InboundMessageCommitter), so two groups never lock the same rows in opposite orders.
 */
async function storeMessageRows(em: EntityManager, messages: PreparedMessage[]): Promise<StoredRow[]> {
  const input = messages.map((message, position) => {
    const { mapped, at, channel, profile } = message;
    const keyword = keywordOf(mapped.text);
    return {
      position,
      organization_id: channel.organization.id,
      channel_id: channel.id,
      contact_id: randomUUID(),
      conversation_id: randomUUID(),
      message_id: message.id,
      wa_id: message.payload.from,
      name: textOrNull(profile?.profile?.name),
      user_id: textOrNull(profile?.user_id),
      username: textOrNull(profile?.profile?.username),
      at,
      wamid: message.payload.id,
      type: mapped.type,
      text: mapped.text,
      media: mapped.media,
      location: mapped.location,
      reply_to_wamid: mapped.replyToWamid,
      context: mapped.context,
      referral: mapped.referral,
      payload: safeJson(message.payload),
      error_code: mapped.error?.code ?? null,
      error_title: mapped.error?.title ?? null,
      error_details: mapped.error?.details ?? null,
      keyword,
    };
  });
  const rows = await sql<StoredRow & { position: number }>(
    em,
    `with input as (
       select * from ${jsonRows(`position int, organization_id uuid, channel_id uuid, contact_id uuid, conversation_id uuid, message_id uuid,
         wa_id text, name text, user_id text, username text, at timestamptz, wamid text, type text, text text, media jsonb,
         location jsonb, reply_to_wamid text, context jsonb, referral jsonb, payload jsonb, error_code text, error_title text,
         error_details text, keyword text`)} as x),
     upserted_contact as (
       insert into contact (id, created_at, updated_at, organization_id, wa_id, name, user_id, username, first_seen_at, last_seen_at)
       select contact_id, now(), now(), organization_id, wa_id, name, user_id, username, at, at from input order by position
       on conflict (organization_id, wa_id) do update set
         name = case when excluded.last_seen_at >= contact.last_seen_at then coalesce(excluded.name, contact.name) else coalesce(contact.name, excluded.name) end,
         user_id = case when excluded.last_seen_at >= contact.last_seen_at then coalesce(excluded.user_id, contact.user_id) else coalesce(contact.user_id, excluded.user_id) end,
         username = case when excluded.last_seen_at >= contact.last_seen_at then coalesce(excluded.username, contact.username) else coalesce(contact.username, excluded.username) end,
         first_seen_at = least(contact.first_seen_at, excluded.first_seen_at),
         last_seen_at = greatest(contact.last_seen_at, excluded.last_seen_at),
         updated_at = now()
       returning id, organization_id, name, wa_id),
     upserted_conversation as (
       insert into conversation (id, created_at, updated_at, organization_id, channel_id, contact_id, status, last_message_at)
       select input.conversation_id, now(), now(), input.organization_id, input.channel_id, ct.id, 'WAITING_AGENT', now()
       from input join upserted_contact ct on ct.organization_id = input.organization_id and ct.wa_id = input.wa_id
       order by input.position
       on conflict (channel_id, contact_id) do update set updated_at = conversation.updated_at
       returning id, organization_id, channel_id, contact_id, (xmax = 0) as inserted, status, bot_state, bot_expires_at),
     inserted_message as (
       insert into message (id, created_at, updated_at, organization_id, conversation_id, channel_id, wamid, direction, type, text,
         media, location, reply_to_wamid, context, referral, payload, status, sent_at_meta, error_code, error_title, error_details)
       select input.message_id, now(), now(), input.organization_id, cv.id, input.channel_id, input.wamid, 'IN', input.type::message_type,
         input.text, input.media, input.location, input.reply_to_wamid, input.context, input.referral, input.payload, 'RECEIVED', input.at,
         input.error_code, input.error_title, input.error_details
       from input
         join upserted_contact ct on ct.organization_id = input.organization_id and ct.wa_id = input.wa_id
         join upserted_conversation cv on cv.channel_id = input.channel_id and cv.contact_id = ct.id
       order by input.position
       on conflict (wamid) do nothing
       returning id)
     select input.position, ${BOT_CONVERSATION_COLUMNS}, cv.contact_id, cv.inserted,
       exists (select 1 from inserted_message im where im.id = input.message_id) as message_inserted,
       kw.id as keyword_flow_id, kw.published_version as keyword_flow_version
     from input
       join upserted_contact ct on ct.organization_id = input.organization_id and ct.wa_id = input.wa_id
       join upserted_conversation cv on cv.channel_id = input.channel_id and cv.contact_id = ct.id
       join channel ch on ch.id = cv.channel_id
       left join flow df on df.id = ch.default_flow_id
       left join lateral (${keywordFlowSql('input.organization_id', 'input.keyword')}) kw on true`,
    jsonRowsValues(input),
    { prepared: true },
  );
  const byPosition = new Map(rows.map((row) => [Number(row.position), row]));
  return messages.map((_, position) => byPosition.get(position)!);
}

/** What an inbound message changes of its conversation, written after its bot turn. */
interface ConversationWrite {
  id: string;
  /** Meta's time of the message. */
  at: Date;
  window_expires_at: Date;
  message_id: string;
  /** A chat bubble (not a reaction): it may become the latest message. */
  is_bubble: boolean;
  /** The bot's last reply of the turn, which is then the latest message. */
  reply_id: string | null;
  status: ConversationStatus;
  bot_state: Record<string, unknown> | null;
  bot_expires_at: Date | null;
}

/**
 * Monotonic: a late, older message never shortens the window nor replaces the latest message; a
 * bot reply is the latest. A group of messages committed together (one per conversation) updates
 * all its conversations in this one statement.
 */
export const conversationWrites = new DeferredWrites<ConversationWrite>((rows) => ({
  text: `update conversation c set
       last_inbound_at = greatest(coalesce(c.last_inbound_at, v.at), v.at),
       window_expires_at = greatest(coalesce(c.window_expires_at, v.window_expires_at), v.window_expires_at),
       last_message_id = case when v.reply_id is not null then v.reply_id
         when v.is_bubble and (c.last_message_id is null or c.last_message_at <= v.at) then v.message_id else c.last_message_id end,
       last_message_at = case when v.reply_id is not null then now()
         when v.is_bubble and (c.last_message_id is null or c.last_message_at <= v.at) then v.at else c.last_message_at end,
       status = v.status::conversation_status, bot_state = v.bot_state, bot_expires_at = v.bot_expires_at,
       updated_at = now()
     from ${jsonRows(`id uuid, at timestamptz, window_expires_at timestamptz, message_id uuid, is_bubble boolean,
       reply_id uuid, status text, bot_state jsonb, bot_expires_at timestamptz`)} as v
     where c.id = v.id`,
  values: jsonRowsValues(rows),
}));

/** What a message needs to be stored at all; a QuarantineError says what it lacks. */
export function checkInboundMessage(message: InboundMessagePayload): { at: Date; message: InboundMessagePayload & { id: string; from: string } } {
  if (!message || typeof message !== 'object') throw new QuarantineError('message is not an object');
  const at = metaTime(message.timestamp);
  if (typeof message.id !== 'string' || !message.id) throw new QuarantineError('message has no id');
  if (typeof message.from !== 'string' || !message.from) throw new QuarantineError('message has no sender (from)');
  if (!at) throw new QuarantineError('message has no valid timestamp');
  return { at, message: message as InboundMessagePayload & { id: string; from: string } };
}

/**
 * Stores inbound messages idempotently (by wamid, also under concurrent duplicates: the unique
 * index decides), refreshes each 24-hour window from the message's own timestamp, runs each bot
 * turn and records the events, in the caller's transaction. One message per contact (see
 * `storeMessageRows`); results in the order given.
 */
export async function storeInboundMessages(em: EntityManager, items: InboundItem[]): Promise<InboundResult[]> {
  const prepared = items.map(({ channel, message: payload, profile }): PreparedMessage => {
    const { at, message } = checkInboundMessage(payload);
    return { channel, payload: message, profile, at, mapped: mapInboundMessage(message), id: randomUUID() };
  });
  const rows = await storeMessageRows(em, prepared);
  const results: InboundResult[] = [];
  for (const [index, message] of prepared.entries()) results.push(await afterStore(em, message, rows[index]!));
  return results;
}

/** The rest of one message once its row is stored: its events, its reaction, its bot turn and its conversation's update. */
async function afterStore(em: EntityManager, prepared: PreparedMessage, row: StoredRow): Promise<InboundResult> {
  const { channel, mapped, at, payload: message, id: messageId } = prepared;
  const conversation = botConversationOf(row);
  if (!row.message_inserted) return { duplicate: true, conversationId: conversation.id, messageId: null, events: [], bot: null };
  const reopened = conversation.status === ConversationStatus.CLOSED;
  const contactId = row.contact_id;
  const organizationId = channel.organization.id;

  const events: EventDraft[] = [];
  if (row.inserted) {
    events.push(await appendEvent(em, organizationId, conversation.id, ConversationEventType.CONVERSATION_OPENED, { channelId: channel.id, contactId }));
  }

  if (mapped.reaction) {
    // A reaction decorates its target message; it is not a bubble of its own. Reactions arrive out
    // of order: the newest one (by Meta's timestamp) wins. Locking the target first makes the check
    // below see a concurrent reaction that committed meanwhile (a fresh snapshot per statement).
    await sql(em, `select 1 from message where wamid = ? and organization_id = ? for update`, [mapped.reaction.targetWamid, organizationId]);
    await sql(
      em,
      `update message set reaction = ?, updated_at = now()
       where wamid = ? and organization_id = ?
         and not exists (
           select 1 from message newer
           where newer.conversation_id = ? and newer.type = ? and newer.sent_at_meta > ?
             and newer.payload->'reaction'->>'message_id' = ?)`,
      [mapped.reaction.emoji, mapped.reaction.targetWamid, organizationId, conversation.id, MessageType.REACTION, at, mapped.reaction.targetWamid],
    );
    events.push(
      await appendEvent(em, organizationId, conversation.id, ConversationEventType.REACTION, {
        messageId,
        wamid: message.id,
        targetWamid: mapped.reaction.targetWamid,
        emoji: mapped.reaction.emoji,
      }),
    );
  }

  const isBubble = mapped.type !== MessageType.REACTION;
  if (reopened) {
    // The customer wrote again: the conversation reopens, and the log says so like any other status move.
    conversation.status = ConversationStatus.WAITING_AGENT;
    events.push(
      await appendEvent(em, organizationId, conversation.id, ConversationEventType.STATUS_CHANGED, {
        status: ConversationStatus.WAITING_AGENT,
        previous: ConversationStatus.CLOSED,
        by: 'customer',
      }),
    );
  }
  if (isBubble) {
    events.push(
      await appendEvent(em, organizationId, conversation.id, ConversationEventType.MESSAGE_RECEIVED, {
        messageId,
        wamid: message.id,
        type: mapped.type,
      }),
    );
  }
  const bot = isBubble
    ? await runBotForInbound(em, conversation, engineInput(message, mapped.text), {
        fresh: row.inserted || reopened,
        keywordFlow: row.keyword_flow_id ? { id: row.keyword_flow_id, publishedVersion: row.keyword_flow_version, archived: false } : null,
      })
    : null;

  // One write of the row for the message and the bot turn together.
  await conversationWrites.addOrWrite(em, {
    id: conversation.id,
    at,
    window_expires_at: windowExpiry(at),
    message_id: messageId,
    is_bubble: isBubble,
    reply_id: conversation.lastQueuedId,
    status: conversation.status,
    bot_state: conversation.botState,
    bot_expires_at: conversation.botExpiresAt,
  });
  return { duplicate: false, conversationId: conversation.id, messageId, events, bot };
}
