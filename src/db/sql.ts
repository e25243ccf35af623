import type { Knex } from '@mikro-orm/knex';
import type { EntityManager } from './entity-manager';

/** What knex's pool and transaction clients give: a node-postgres connection. */
export interface SqlClient {
  acquireConnection(): Promise<SqlConnection>;
  releaseConnection(connection: SqlConnection): Promise<unknown>;
}
export interface SqlConnection {
  /**
   * With a `name`, node-postgres prepares the statement once per connection under it and then only
   * binds. `last` is SqlOptions.last: node-postgres ignores it, sqlTransaction's connection acts on it.
   */
  query(config: { name?: string; text: string; values: unknown[]; last?: boolean }): Promise<{ rows: unknown[] }>;
}

/**
 * Distinct statement texts that get a name of their own. Only fixed texts are named (see
 * `SqlOptions.prepared`), so a few dozen cover them all; past the bound a statement is sent
 * unnamed: nothing can make a connection hold statements without end.
 */
const MAX_NAMED_STATEMENTS = 300;
const statementNames = new Map<string, string>();

/** The name a statement is prepared under on every connection (undefined past the bound). */
export function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) statementNames.set(text, (name = `sql-${statementNames.size + 1}`));
  return name;
}

export interface SqlOptions {
  /**
   * Prepare the statement once per connection, under a name, and only bind it afterwards: for the
   * pipeline's batch statements, which PostgreSQL otherwise parsed and analysed on every call (in
   * bench:flow, naming them took a sixth off PostgreSQL's CPU per message). Not for statements whose
   * inputs vary widely in size: after five calls PostgreSQL may settle on a generic plan, and for
   * the analytics rollups (ranges from a quarter hour to months) that made `rebuildRange` five times
   * slower. A text with a list expanded to its length (`in (?)`) is never named.
   */
  prepared?: boolean;
  /**
   * The transaction's last statement: in `sqlTransaction`, its COMMIT travels with it in the same
   * round trip, and a statement after it is refused. Elsewhere it changes nothing.
   */
  last?: boolean;
}

/**
 * Runs one SQL statement in the EntityManager's current transaction (if any) and returns its rows.
 * Used where an atomic upsert or guarded update says what we mean better than the unit of work:
 * INSERT ... ON CONFLICT for idempotent ingestion, GREATEST() for monotonic timestamps.
 * Placeholders are `?` (knex style, `\\?` for a literal question mark); every value is bound,
 * never interpolated.
 *
 * The statement goes straight to the node-postgres connection of the transaction (or one from
 * the pool), not through knex's query builder: measured on this machine, knex.raw spent about
 * 140 µs of CPU per statement against 40 µs for the driver alone, and these statements are the
 * hot path of every webhook. Errors still become MikroORM's typed exceptions, their message
 * starting with the statement as knex's did (without the values: they are customers' data).
 */
export async function sql<Row = Record<string, unknown>>(em: EntityManager, text: string, params: unknown[] = [], options: SqlOptions = {}): Promise<Row[]> {
  const [expandedText, values] = expandLists(text, params);
  const statement = positional(expandedText);
  const name = options.prepared && expandedText === text ? statementName(statement) : undefined;
  const transaction = em.getTransactionContext<Knex.Transaction>();
  const client = (transaction ?? em.getKnex()).client as unknown as SqlClient;
  const connection = await client.acquireConnection();
  try {
    const result = await connection.query(options.last ? { name, text: statement, values, last: true } : { name, text: statement, values });
    return result.rows as Row[];
  } catch (error) {
    if (error instanceof Error) error.message = `${statement} - ${error.message}`;
    throw em.getDriver().convertException(error as Error);
  } finally {
    await client.releaseConnection(connection);
  }
}

/** `?` -> `$1`, `$2`, ... in order; an escaped `\\?` stays a literal question mark (knex's rule). */
function positional(text: string): string {
  let count = 0;
  return text.replace(/(\\*)(\?)/g, (_match, escapes: string) => (escapes.length % 2 ? '?' : `$${++count}`));
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

/**
 * Rows passed as one JSON parameter, as a table for a statement to join or update from:
 * `${jsonRows('id uuid, at timestamptz')} as v` in the text, `...jsonRowsValues(rows)` in the
 * values. PostgreSQL estimates jsonb_to_recordset at 100 rows whatever it holds, so against a table
 * of some thousands of rows it planned a hash join over a scan of the whole table, even for a
 * batch of two; the LIMIT tells it the real count, and a small batch uses the index.
 */
export const jsonRows = (columns: string) => `(select * from jsonb_to_recordset(?::jsonb) as r(${columns}) limit ?)`;

/** The values of `jsonRows`: the JSON and the row count. */
export const jsonRowsValues = (rows: readonly unknown[]): [string | null, number] => [jsonb(rows), rows.length];
