import { ConversationEventType } from '../../entities/conversation-event.entity';
import type { DomainEvent } from '../../pubsub/domain-event';
import { badInput } from '../../domain/errors';

export type ConversationDomainEvent = Extract<DomainEvent, { kind: 'conversation' }>;
export type TemplateDomainEvent = Extract<DomainEvent, { kind: 'template' }>;
export type ChannelDomainEvent = Extract<DomainEvent, { kind: 'channel' }>;

/**
 * What a live feed yields for each delivery. Subscribers whose roots share `liveKey` and whose
 * operations share an execution key get the same result: it is computed once (see fanout).
 */
export interface LiveRoot {
  /** Identifies this root's content: the event, plus anything per subscriber that changes the result. */
  liveKey: string;
  /** Identifies the event alone: executions of one event share their loaders. */
  eventKey: string;
  organizationId: string;
}

export interface ConversationEventRoot extends LiveRoot {
  event: ConversationDomainEvent;
}

export enum InboxChange {
  ENTERED = 'ENTERED',
  UPDATED = 'UPDATED',
  LEFT = 'LEFT',
}

export interface InboxRoot extends LiveRoot {
  change: InboxChange;
  conversationId: string;
  cursor: string;
  at: string;
}

export interface CatalogRoot<E extends TemplateDomainEvent | ChannelDomainEvent> extends LiveRoot {
  event: E;
}

/** The log's event kinds that conversationEvents delivers (the others are internal). */
export const LIVE_CONVERSATION_EVENT_TYPES: ReadonlySet<string> = new Set([
  ConversationEventType.MESSAGE_RECEIVED,
  ConversationEventType.MESSAGE_SENT,
  ConversationEventType.MESSAGE_STATUS_CHANGED,
  ConversationEventType.REACTION,
  ConversationEventType.CONVERSATION_OPENED,
  ConversationEventType.STATUS_CHANGED,
  ConversationEventType.ASSIGNED,
  ConversationEventType.BOT,
  ConversationEventType.WINDOW_CLOSING_SOON,
]);

/** Roots by event: every subscriber of a live event gets the same (read-only) root, built once. */
const roots = new WeakMap<ConversationDomainEvent, ConversationEventRoot>();

export function conversationRoot(event: ConversationDomainEvent): ConversationEventRoot {
  let root = roots.get(event);
  if (!root) {
    const key = `c${event.cursor}`;
    roots.set(event, (root = { liveKey: key, eventKey: key, organizationId: event.organizationId, event }));
  }
  return root;
}

/** PostgreSQL bigint's largest value: a cursor beyond it cannot come from our log. */
const MAX_CURSOR = 9_223_372_036_854_775_807n;

/** A resume cursor: the decimal id of a conversation event, as the feed delivered it. */
export function parseCursor(after: string | null | undefined): bigint | null {
  if (after === null || after === undefined) return null;
  if (!/^\d{1,19}$/.test(after) || BigInt(after) > MAX_CURSOR) {
    throw badInput('after', 'after must be a cursor this feed delivered (a decimal number)');
  }
  return BigInt(after);
}
