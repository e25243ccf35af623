import type { ConversationEventType } from '../../entities/conversation-event.entity';
import type { EntityManager } from '../../db/entity-manager';
import { DeferredWrites } from '../../db/deferred-writes';
import { jsonb } from '../../db/sql';
import type { DomainEvent } from '../../pubsub/domain-event';

export type EventDraft = Extract<DomainEvent, { kind: 'conversation' }>;

/** A conversation_event row as raw SQL reads it (the id, a bigint, as text). */
export interface ConversationEventRow {
  id: string;
  conversation_id: string;
  type: string;
  data: Record<string, unknown>;
  created_at: Date;
}

/**
 * Appends to the immutable conversation log in the caller's transaction. The event's cursor is
 * given after the commit, by the EventSequencer, which also publishes it: handing the returned
 * draft to `EventBus.publish` after the commit only says it is there.
 */
export async function appendEvent(
  em: EntityManager,
  organizationId: string,
  conversationId: string,
  type: ConversationEventType,
  data: Record<string, unknown>,
): Promise<EventDraft> {
  const [draft] = await appendEventBatch(em, [{ organizationId, conversationId, type, data }]);
  return draft!;
}

/** Appends several events of one conversation in one statement (a bot turn records a handful). */
export async function appendEvents(
  em: EntityManager,
  organizationId: string,
  conversationId: string,
  entries: { type: ConversationEventType; data: Record<string, unknown> }[],
): Promise<EventDraft[]> {
  return appendEventBatch(
    em,
    entries.map((entry) => ({ organizationId, conversationId, ...entry })),
  );
}

/** An event to append, for any conversation. */
export interface EventEntry {
  organizationId: string;
  conversationId: string;
  type: ConversationEventType;
  data: Record<string, unknown>;
}

/**
 * Appends events of any conversations in one statement, or, inside `withDeferredEvents` (or a
 * group's `withDeferredWrites`), at the end of the transaction. The log keeps the order given: the
 * ids of one INSERT are drawn row by row, and the sequencer numbers a transaction's events in id order.
 */
export async function appendEventBatch(em: EntityManager, entries: EventEntry[]): Promise<EventDraft[]> {
  const drafts = entries.map(draftOf);
  await eventRows.addOrWrite(em, ...drafts);
  return drafts;
}

const draftOf = (entry: EventEntry): EventDraft => ({ kind: 'conversation', ...entry, cursor: '', at: '' });

/** Inserts drafts in order; each gets its time (the transaction's) once written. */
export const eventRows = new DeferredWrites<EventDraft>(
  (drafts) => ({
    text: `insert into conversation_event (organization_id, conversation_id, type, data, created_at)
     select x.organization_id, x.conversation_id, x.type::conversation_event_type, x.data, now()
     from rows from (jsonb_to_recordset(?::jsonb) as (organization_id uuid, conversation_id uuid, type text, data jsonb))
       with ordinality as x(organization_id, conversation_id, type, data, position)
     order by x.position`,
    values: [jsonb(drafts.map((draft) => ({ organization_id: draft.organizationId, conversation_id: draft.conversationId, type: draft.type, data: draft.data })))],
  }),
  (drafts, at) => {
    const iso = at.toISOString();
    for (const draft of drafts) draft.at = iso;
  },
);

/**
 * Runs `work` in the transaction of `em` with its events written in one statement at the end: an
 * inbound message with a bot reply records four or five, each a round trip otherwise. The drafts
 * `appendEvent` returns meanwhile get their time then, before the commit; nothing reads them
 * earlier (events are published after the commit). With `last`, that statement ends the
 * transaction (SqlOptions.last).
 */
export const withDeferredEvents = <T>(em: EntityManager, work: () => Promise<T>, options: { last?: boolean } = {}): Promise<T> => eventRows.run(em, work, options);
