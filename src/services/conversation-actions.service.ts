import { ConversationEventType } from '../entities/conversation-event.entity';
import { Conversation, ConversationStatus } from '../entities/conversation.entity';
import { Message, MessageDirection } from '../entities/message.entity';
import { User } from '../entities/user.entity';
import { findById } from '../db/find-by-id';
import { badInput, conflict, forbidden } from '../domain/errors';
import { Role, roleAtLeast } from '../domain/role';
import type { AppDeps } from '../auth/context';
import { appendEvent, type EventDraft } from './inbound/conversation-log';
import { restartBot } from './flows/bot-runtime.service';
import { dispatchBotTurn } from './flows/bot-dispatch';
import { serviceWindow } from '../domain/window-policy';
import type { MemberScope } from './scope';

/** Applies a change to a conversation with its log event in one transaction, then publishes. */
async function change(
  scope: MemberScope,
  deps: AppDeps,
  conversationId: string,
  apply: (conversation: Conversation) => { type: ConversationEventType; data: Record<string, unknown> } | null,
): Promise<Conversation> {
  const conversation = await findById(scope.em, Conversation, conversationId, 'Conversation', 'conversationId');
  const events: EventDraft[] = [];
  await scope.em.transactional(async (tx) => {
    const previous = conversation.status;
    const entry = apply(conversation);
    if (!entry) return; // nothing changed: no event
    await tx.flush();
    const by = scope.viewer.userId ?? scope.viewer.apiKeyId;
    events.push(await appendEvent(tx, conversation.organization.id, conversation.id, entry.type, { ...entry.data, previous, by }));
  });
  await deps.events.publish(events);
  return conversation;
}

const statusChange = (conversation: Conversation, status: ConversationStatus) => {
  if (conversation.status === status) return null;
  conversation.status = status;
  return { type: ConversationEventType.STATUS_CHANGED, data: { status } };
};

/**
 * Assigns the conversation to a member (or unassigns with null). Agents may take a conversation
 * for themselves; admins may assign anyone.
 */
export async function assignConversation(scope: MemberScope, deps: AppDeps, conversationId: string, userId: string | null) {
  let assignee: User | null = null;
  if (userId) {
    if (userId !== scope.viewer.userId && !roleAtLeast(scope.viewer.role, Role.ADMIN)) {
      throw forbidden('Agents can only assign conversations to themselves');
    }
    assignee = await findById(scope.em, User, userId, 'User', 'userId');
    if (assignee.deactivatedAt) throw badInput('userId', 'This member is deactivated');
    if (!roleAtLeast(assignee.role, Role.AGENT)) throw badInput('userId', 'Viewers cannot be assigned conversations');
  }
  return change(scope, deps, conversationId, (conversation) => {
    if ((conversation.assignedTo?.id ?? null) === (assignee?.id ?? null)) return null;
    conversation.assignedTo = assignee;
    if (conversation.status !== ConversationStatus.CLOSED) {
      conversation.status = assignee ? ConversationStatus.WITH_AGENT : ConversationStatus.WAITING_AGENT;
    }
    return { type: ConversationEventType.ASSIGNED, data: { userId: assignee?.id ?? null, status: conversation.status } };
  });
}

export const handoffToAgent = (scope: MemberScope, deps: AppDeps, conversationId: string) =>
  change(scope, deps, conversationId, (conversation) => {
    if (conversation.status === ConversationStatus.CLOSED) throw conflict('The conversation is closed: reopen it first', 'conversationId');
    return statusChange(conversation, conversation.assignedTo ? ConversationStatus.WITH_AGENT : ConversationStatus.WAITING_AGENT);
  });

/**
 * Gives the conversation back to the bot: an active session resumes where it waits; otherwise the
 * default flow starts now if the 24-hour window is open (its messages could not be delivered
 * otherwise), or on the customer's next message.
 */
export async function returnToBot(scope: MemberScope, deps: AppDeps, conversationId: string) {
  const conversation = await findById(scope.em, Conversation, conversationId, 'Conversation', 'conversationId');
  if (conversation.status === ConversationStatus.CLOSED) throw conflict('The conversation is closed: reopen it first', 'conversationId');
  const previous = conversation.status;
  const wasAssigned = Boolean(conversation.assignedTo);
  const turn = await scope.em.transactional(async (tx) => {
    await tx.execute('select id from conversation where id = ? for update', [conversation.id]);
    conversation.assignedTo = null;
    const started = serviceWindow(conversation.lastInboundAt).isOpen ? await restartBot(tx, conversation) : null;
    if (!started) conversation.status = ConversationStatus.BOT;
    const idle = !started || (!started.queued.length && !started.events.length && !started.http);
    // Already with the bot, unassigned, and the bot had nothing to do: a no-op appends no event.
    if (previous === ConversationStatus.BOT && conversation.status === ConversationStatus.BOT && !wasAssigned && idle) {
      return { queued: [], events: [], http: null };
    }
    await tx.flush();
    const event = await appendEvent(tx, conversation.organization.id, conversation.id, ConversationEventType.STATUS_CHANGED, {
      status: conversation.status,
      previous,
      by: scope.viewer.userId ?? scope.viewer.apiKeyId,
    });
    return { queued: started?.queued ?? [], events: [event, ...(started?.events ?? [])], http: started?.http ?? null };
  });
  await dispatchBotTurn(deps.queues, deps.events, turn);
  return conversation;
}

export const closeConversation = (scope: MemberScope, deps: AppDeps, conversationId: string) =>
  change(scope, deps, conversationId, (conversation) => statusChange(conversation, ConversationStatus.CLOSED));

export const reopenConversation = (scope: MemberScope, deps: AppDeps, conversationId: string) =>
  change(scope, deps, conversationId, (conversation) => {
    if (conversation.status !== ConversationStatus.CLOSED) return null;
    return statusChange(conversation, conversation.assignedTo ? ConversationStatus.WITH_AGENT : ConversationStatus.WAITING_AGENT);
  });

/** Queues a read receipt to Meta for an inbound message. */
export async function markRead(scope: MemberScope, deps: AppDeps, messageId: string) {
  const message = await findById(scope.em, Message, messageId, 'Message', 'messageId');
  if (message.direction !== MessageDirection.IN) throw badInput('messageId', 'Only messages from the customer can be marked as read');
  await deps.queues.add('outbound', 'mark-read', { messageId: message.id }, { jobId: `read-${message.id}` });
  return message;
}
