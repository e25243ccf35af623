import { ConversationEventType } from '../../entities/conversation-event.entity';
import { randomUUID } from 'node:crypto';
import type { AuthorKind, MessageType } from '../../entities/message.entity';
import { DeferredWrites } from '../../db/deferred-writes';
import type { EntityManager } from '../../db/entity-manager';
import { jsonb, sql } from '../../db/sql';
import type { JobQueues } from '../../jobs/job-queues';
import type { EventBus } from '../../pubsub/event-bus';
import type { InlineSender } from './inline-sender';
import { appendEvent, type EventDraft } from '../inbound/conversation-log';

/** A message stored as QUEUED, with the event that announces it. */
export interface Queued {
  messageId: string;
  event: EventDraft;
}

export interface OutboundDraft {
  conversation: { id: string; organizationId: string; channelId: string };
  type: MessageType;
  /** What a chat bubble shows (body, caption, template name). */
  text: string | null;
  /** Builds the exact Graph API request body, given our message id (echoed back by Meta). */
  request: (messageId: string) => Record<string, unknown>;
  author: { kind: AuthorKind; userId?: string | null };
  replyToWamid?: string | null;
  template?: { id: string } | null;
  /** The bot step that sent it (analytics: delivery per node, drop-off split). */
  flow?: { id: string; version: number; nodeId: string } | null;
}

/**
 * Stores an outbound message as QUEUED with the exact request to send, in the caller's transaction,
 * records the event and makes it the conversation's latest message. The send job is enqueued by
 * `dispatch` after the commit; if the process dies in between, the outbound sweeper finds the
 * QUEUED message and enqueues it.
 */
export async function queueOutbound(em: EntityManager, draft: OutboundDraft): Promise<Queued> {
  const queued = await insertOutbound(em, draft);
  await sql(em, `update conversation set last_message_id = ?, last_message_at = now(), updated_at = now() where id = ?`, [
    queued.messageId,
    draft.conversation.id,
  ]);
  return queued;
}

/** An outbound message row as the insert writes it. */
interface OutboundRow {
  id: string;
  organization_id: string;
  conversation_id: string;
  channel_id: string;
  type: MessageType;
  text: string | null;
  reply_to_wamid: string | null;
  payload: Record<string, unknown>;
  author_kind: AuthorKind;
  author_user_id: string | null;
  template_id: string | null;
  flow_id: string | null;
  flow_version: number | null;
  flow_node_id: string | null;
}

/**
 * Inserts QUEUED messages in the order given: `seq`, which orders a conversation's sends, is drawn
 * row by row. Plain SQL rather than the unit of work: this is on the hot path of every bot reply.
 */
export const outboundRows = new DeferredWrites<OutboundRow>((rows) => ({
  text: `insert into message (id, created_at, updated_at, organization_id, conversation_id, channel_id, direction, type, text,
       reply_to_wamid, payload, status, send_state, author_kind, author_user_id, template_id, flow_id, flow_version, flow_node_id)
     select x.id, now(), now(), x.organization_id, x.conversation_id, x.channel_id, 'OUT', x.type::message_type, x.text,
       x.reply_to_wamid, x.payload, 'QUEUED', 'PENDING', x.author_kind::author_kind, x.author_user_id, x.template_id, x.flow_id,
       x.flow_version, x.flow_node_id
     from rows from (jsonb_to_recordset(?::jsonb) as (id uuid, organization_id uuid, conversation_id uuid, channel_id uuid, type text,
       text text, reply_to_wamid text, payload jsonb, author_kind text, author_user_id uuid, template_id uuid, flow_id uuid,
       flow_version int, flow_node_id text))
       with ordinality as x(id, organization_id, conversation_id, channel_id, type, text, reply_to_wamid, payload, author_kind,
         author_user_id, template_id, flow_id, flow_version, flow_node_id, position)
     order by x.position`,
  values: [jsonb(rows)],
}));

/**
 * `queueOutbound` without the conversation update, for a caller that writes the conversation
 * once with its other changes (a bot turn): it must set `last_message_id` itself.
 */
export async function insertOutbound(em: EntityManager, draft: OutboundDraft): Promise<Queued> {
  const messageId = randomUUID();
  const conversation = draft.conversation;
  await outboundRows.addOrWrite(em, {
    id: messageId,
    organization_id: conversation.organizationId,
    conversation_id: conversation.id,
    channel_id: conversation.channelId,
    type: draft.type,
    text: draft.text,
    reply_to_wamid: draft.replyToWamid ?? null,
    payload: draft.request(messageId),
    author_kind: draft.author.kind,
    author_user_id: draft.author.userId ?? null,
    template_id: draft.template?.id ?? null,
    flow_id: draft.flow?.id ?? null,
    flow_version: draft.flow?.version ?? null,
    flow_node_id: draft.flow?.nodeId ?? null,
  });
  const event = await appendEvent(em, conversation.organizationId, conversation.id, ConversationEventType.MESSAGE_SENT, {
    messageId,
    type: draft.type,
    author: draft.author.kind,
    ...(draft.author.userId ? { userId: draft.author.userId } : {}),
  });
  return { messageId, event };
}

/**
 * After the commit: send now from this process (`inline`, a worker's bot replies) or enqueue the
 * sends (job id = message id, so a repeat enqueue is a no-op), and publish.
 */
export async function dispatch(queues: JobQueues, events: EventBus, queued: Queued[], inline?: InlineSender): Promise<void> {
  if (!queued.length) return;
  const toQueue = inline ? inline.send(queued) : queued;
  if (toQueue.length) {
    await queues.get('outbound').addBulk(
      toQueue.map(({ messageId }) => ({ name: 'send-message', data: { messageId }, opts: { jobId: `send-${messageId}` } })),
    );
  }
  await events.publish(queued.map(({ event }) => event));
}
