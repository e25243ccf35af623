import { ConversationEventType } from '../../entities/conversation-event.entity';
import type { Conversation } from '../../entities/conversation.entity';
import { Message, MessageDirection, SendState, type AuthorKind, type MessageType } from '../../entities/message.entity';
import type { Template } from '../../entities/template.entity';
import type { EntityManager } from '../../db/entity-manager';
import { sql } from '../../db/sql';
import { MessageStatus } from '../../domain/message-status';
import type { JobQueues } from '../../jobs/job-queues';
import type { EventBus } from '../../pubsub/event-bus';
import { appendEvent, type EventDraft } from '../inbound/conversation-log';

export interface OutboundDraft {
  conversation: Conversation;
  type: MessageType;
  /** What a chat bubble shows (body, caption, template name). */
  text: string | null;
  /** Builds the exact Graph API request body, given our message id (echoed back by Meta). */
  request: (messageId: string) => Record<string, unknown>;
  author: { kind: AuthorKind; userId?: string | null };
  replyToWamid?: string | null;
  template?: Template | null;
}

/**
 * Stores an outbound message as QUEUED with the exact request to send, in the caller's transaction,
 * and records the event. The send job is enqueued by `dispatch` after the commit; if the process
 * dies in between, the outbound sweeper finds the QUEUED message and enqueues it.
 */
export async function queueOutbound(em: EntityManager, draft: OutboundDraft): Promise<{ message: Message; event: EventDraft }> {
  const message = em.create(Message, {
    organization: draft.conversation.organization,
    conversation: draft.conversation,
    channel: draft.conversation.channel,
    direction: MessageDirection.OUT,
    type: draft.type,
    text: draft.text,
    replyToWamid: draft.replyToWamid ?? null,
    payload: {},
    status: MessageStatus.QUEUED,
    sendState: SendState.PENDING,
    authorKind: draft.author.kind,
    authorUser: draft.author.userId ?? null,
    template: draft.template ?? null,
  });
  message.payload = draft.request(message.id);
  await em.flush();
  await sql(em, `update conversation set last_message_id = ?, last_message_at = now(), updated_at = now() where id = ?`, [
    message.id,
    draft.conversation.id,
  ]);
  const event = await appendEvent(em, draft.conversation.organization.id, draft.conversation.id, ConversationEventType.MESSAGE_SENT, {
    messageId: message.id,
    type: draft.type,
    author: draft.author.kind,
    ...(draft.author.userId ? { userId: draft.author.userId } : {}),
  });
  return { message, event };
}

/** After the commit: enqueue the sends (job id = message id, so a repeat enqueue is a no-op) and publish. */
export async function dispatch(queues: JobQueues, events: EventBus, queued: { message: Message; event: EventDraft }[]): Promise<void> {
  if (!queued.length) return;
  await queues.get('outbound').addBulk(
    queued.map(({ message }) => ({ name: 'send-message', data: { messageId: message.id }, opts: { jobId: `send-${message.id}` } })),
  );
  await events.publish(queued.map(({ event }) => event));
}
