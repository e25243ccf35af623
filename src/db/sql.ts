import type { EntityManager } from './entity-manager';

/**
 * Runs one SQL statement in the EntityManager's current transaction (if any) and returns its rows.
 * Used where an atomic upsert or guarded update says what we mean better than the unit of work:
 * INSERT ... ON CONFLICT for idempotent ingestion, GREATEST() for monotonic timestamps.
 * Placeholders are `?` (knex style); every value is bound, never interpolated.
 */
export async function sql<Row = Record<string, unknown>>(em: EntityManager, text: string, params: unknown[] = []): Promise<Row[]> {
  return (await em.execute(text, params as never[], 'all')) as Row[];
}

/** JSON for a `?::jsonb` placeholder. */
export const jsonb = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));
