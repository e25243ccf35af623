import { ConversationEventType } from '../../entities/conversation-event.entity';
import { randomUUID } from 'node:crypto';
import { SendState, type AuthorKind, type MessageType } from '../../entities/message.entity';
import type { EntityManager } from '../../db/entity-manager';
import { jsonb, sql } from '../../db/sql';
import { MessageStatus } from '../../domain/message-status';
import type { JobQueues } from '../../jobs/job-queues';
import type { EventBus } from '../../pubsub/event-bus';
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

/**
 * `queueOutbound` without the conversation update, for a caller that writes the conversation
 * once with its other changes (a bot turn): it must set `last_message_id` itself.
 */
export async function insertOutbound(em: EntityManager, draft: OutboundDraft): Promise<Queued> {
  // Plain SQL rather than the unit of work: this is on the hot path of every bot reply.
  const messageId = randomUUID();
  const conversation = draft.conversation;
  await sql(
    em,
    `insert into message (id, created_at, updated_at, organization_id, conversation_id, channel_id, direction, type, text,
       reply_to_wamid, payload, status, send_state, author_kind, author_user_id, template_id, flow_id, flow_version, flow_node_id)
     values (?, now(), now(), ?, ?, ?, 'OUT', ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      messageId,
      conversation.organizationId,
      conversation.id,
      conversation.channelId,
      draft.type,
      draft.text,
      draft.replyToWamid ?? null,
      jsonb(draft.request(messageId)),
      MessageStatus.QUEUED,
      SendState.PENDING,
      draft.author.kind,
      draft.author.userId ?? null,
      draft.template?.id ?? null,
      draft.flow?.id ?? null,
      draft.flow?.version ?? null,
      draft.flow?.nodeId ?? null,
    ],
  );
  const event = await appendEvent(em, conversation.organizationId, conversation.id, ConversationEventType.MESSAGE_SENT, {
    messageId,
    type: draft.type,
    author: draft.author.kind,
    ...(draft.author.userId ? { userId: draft.author.userId } : {}),
  });
  return { messageId, event };
}

/** After the commit: enqueue the sends (job id = message id, so a repeat enqueue is a no-op) and publish. */
export async function dispatch(queues: JobQueues, events: EventBus, queued: Queued[]): Promise<void> {
  if (!queued.length) return;
  await queues.get('outbound').addBulk(
    queued.map(({ messageId }) => ({ name: 'send-message', data: { messageId }, opts: { jobId: `send-${messageId}` } })),
  );
  await events.publish(queued.map(({ event }) => event));
}
