import type { Knex } from '@mikro-orm/knex';
import type { EntityManager } from './entity-manager';

/**
 * Runs one SQL statement in the EntityManager's current transaction (if any) and returns its rows.
 * Used where an atomic upsert or guarded update says what we mean better than the unit of work:
 * INSERT ... ON CONFLICT for idempotent ingestion, GREATEST() for monotonic timestamps.
 * Placeholders are `?` (knex style); every value is bound, never interpolated.
 *
 * Values travel as protocol parameters rather than through `em.execute`, which inlines each one
 * into the SQL text with a character-by-character escape: costly for the JSON payloads and raw
 * webhook bodies this is used for. Errors still become MikroORM's typed exceptions.
 */
export async function sql<Row = Record<string, unknown>>(em: EntityManager, text: string, params: unknown[] = []): Promise<Row[]> {
  const [expandedText, values] = expandLists(text, params);
  const query = em.getKnex().raw(expandedText, values as Knex.RawBinding[]);
  const transaction = em.getTransactionContext<Knex.Transaction>();
  if (transaction) query.transacting(transaction);
  try {
    const result = (await query) as { rows: Row[] };
    return result.rows;
  } catch (error) {
    throw em.getDriver().convertException(error as Error);
  }
}

/**
 * An array value stands for a list, `in (?)` -> `in (?, ?, ?)`, as with MikroORM's own formatting:
 * callers who want one PostgreSQL array pass its literal (`'{a,b}'` for `any(?::uuid[])`).
 */
function expandLists(text: string, params: unknown[]): [string, unknown[]] {
  if (!params.some(Array.isArray)) return [text, params];
  const values: unknown[] = [];
  let index = 0;
  const expanded = text.replace(/\\\?|\?\??/g, (placeholder) => {
    if (placeholder === '\\?') return placeholder; // an escaped, literal question mark
    const value = params[index++];
    if (placeholder === '?' && Array.isArray(value)) {
      values.push(...value);
      return value.map(() => '?').join(', ');
    }
    values.push(value);
    return placeholder;
  });
  return [expanded, values];
}

/** JSON for a `?::jsonb` placeholder. */
export const jsonb = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));
