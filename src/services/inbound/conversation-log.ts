import type { ConversationEventType } from '../../entities/conversation-event.entity';
import type { EntityManager } from '../../db/entity-manager';
import { jsonb, sql } from '../../db/sql';
import type { DomainEvent } from '../../pubsub/domain-event';

export type EventDraft = Extract<DomainEvent, { kind: 'conversation' }>;

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
