import type { ConversationEventType } from '../../entities/conversation-event.entity';
import type { EntityManager } from '../../db/entity-manager';
import { jsonb, sql } from '../../db/sql';
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

/** Appends to the immutable conversation log in the caller's transaction; the id is the cursor. */
export async function appendEvent(
  em: EntityManager,
  organizationId: string,
  conversationId: string,
  type: ConversationEventType,
  data: Record<string, unknown>,
): Promise<EventDraft> {
  const [row] = await sql<{ id: string; created_at: Date }>(
    em,
    `insert into conversation_event (organization_id, conversation_id, type, data, created_at)
     values (?, ?, ?, ?::jsonb, now()) returning id, created_at`,
    [organizationId, conversationId, type, jsonb(data)],
  );
  return {
    kind: 'conversation',
    organizationId,
    conversationId,
    cursor: String(row!.id),
    type,
    data,
    at: new Date(row!.created_at).toISOString(),
  };
}

/**
 * Appends several events in one statement (a bot turn records a handful). Cursors follow the
 * order given: the ids of one INSERT are drawn from the sequence row by row.
 */
export async function appendEvents(
  em: EntityManager,
  organizationId: string,
  conversationId: string,
  entries: { type: ConversationEventType; data: Record<string, unknown> }[],
): Promise<EventDraft[]> {
  if (!entries.length) return [];
  const rows = await sql<{ id: string; created_at: Date }>(
    em,
    `insert into conversation_event (organization_id, conversation_id, type, data, created_at)
     values ${entries.map(() => '(?, ?, ?, ?::jsonb, now())').join(', ')} returning id, created_at`,
    entries.flatMap((entry) => [organizationId, conversationId, entry.type, jsonb(entry.data)]),
  );
  const ordered = [...rows].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  return entries.map((entry, index) => ({
    kind: 'conversation' as const,
    organizationId,
    conversationId,
    cursor: String(ordered[index]!.id),
    type: entry.type,
    data: entry.data,
    at: new Date(ordered[index]!.created_at).toISOString(),
  }));
}

/** An event to append, for any conversation. */
export interface EventEntry {
  organizationId: string;
  conversationId: string;
  type: ConversationEventType;
  data: Record<string, unknown>;
}

/**
 * Appends events of many conversations in one statement (a batch of statuses). Cursors follow the
 * order given, as in `appendEvents`.
 */
export async function appendEventBatch(em: EntityManager, entries: EventEntry[]): Promise<EventDraft[]> {
  if (!entries.length) return [];
  const rows = await sql<{ id: string; created_at: Date }>(
    em,
    `insert into conversation_event (organization_id, conversation_id, type, data, created_at)
     select x.organization_id, x.conversation_id, x.type::conversation_event_type, x.data, now()
     from jsonb_to_recordset(?::jsonb) with ordinality as x(organization_id uuid, conversation_id uuid, type text, data jsonb, position bigint)
     order by x.position
     returning id, created_at`,
    [jsonb(entries.map((entry) => ({ organization_id: entry.organizationId, conversation_id: entry.conversationId, type: entry.type, data: entry.data })))],
  );
  const ordered = [...rows].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  return entries.map((entry, index) => ({
    kind: 'conversation' as const,
    organizationId: entry.organizationId,
    conversationId: entry.conversationId,
    cursor: String(ordered[index]!.id),
    type: entry.type,
    data: entry.data,
    at: new Date(ordered[index]!.created_at).toISOString(),
  }));
}
