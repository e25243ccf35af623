import type { EntityManager } from './entity-manager';
import { sql } from './sql';

/** One data-modifying statement (INSERT, UPDATE or DELETE) with `?` placeholders. */
export interface WriteStatement {
  text: string;
  values: unknown[];
}

/** What `withDeferredWrites` needs of a kind of rows, whatever the rows' type. */
export interface Deferring {
  collect(em: EntityManager): unknown[] | null;
  stopCollecting(em: EntityManager): void;
  statementOf(rows: unknown[]): WriteStatement;
  writtenOf(rows: unknown[], at: Date): void;
}

/**
 * Rows of one kind that a transaction writes together at its end, instead of a round trip each: a
 * group of inbound messages committed together inserts all its bot replies, updates all its
 * conversations and appends all its events at once. Outside a deferring transaction nothing is
 * deferred: `addOrWrite` writes the row at once, with the same statement.
 */
export class DeferredWrites<T> implements Deferring {
  private readonly pending = new WeakMap<EntityManager, T[]>();

  /**
   * `statement` writes rows in the order given; `written` hears of them afterwards with the time of
   * their transaction (`now()`, what their `created_at` and `updated_at` hold).
   */
  constructor(
    readonly statement: (rows: T[]) => WriteStatement,
    readonly written: (rows: T[], at: Date) => void = () => undefined,
  ) {}

  /** Keeps `row` for the end of the transaction of `em`; false when `em` defers nothing of this kind. */
  add(em: EntityManager, row: T): boolean {
    const rows = this.pending.get(em);
    if (!rows) return false;
    rows.push(row);
    return true;
  }

  /** Writes `rows` now, or at the end of the deferring transaction of `em`. */
  async addOrWrite(em: EntityManager, ...rows: T[]): Promise<void> {
    if (!rows.length) return;
    if (this.pending.has(em)) rows.forEach((row) => this.add(em, row));
    else await writeTogether(em, [{ kind: this, rows }]);
  }

  /** Runs `work` with this kind deferred, then writes what it added (see withDeferredWrites for `last`). */
  run<R>(em: EntityManager, work: () => Promise<R>, options: { last?: boolean } = {}): Promise<R> {
    return withDeferredWrites(em, [this], work, options);
  }

  /** Starts collecting for `em`: the rows added go to the array returned. Null when already collecting. */
  collect(em: EntityManager): T[] | null {
    if (this.pending.has(em)) return null;
    const rows: T[] = [];
    this.pending.set(em, rows);
    return rows;
  }

  stopCollecting(em: EntityManager): void {
    this.pending.delete(em);
  }

  statementOf(rows: unknown[]): WriteStatement {
    return this.statement(rows as T[]);
  }

  writtenOf(rows: unknown[], at: Date): void {
    this.written(rows as T[], at);
  }
}

/**
 * Runs `work` (in a transaction) with every kind in `kinds` deferred, then writes all they collected
 * in one statement: each kind's INSERT or UPDATE becomes a data-modifying WITH query, which
 * PostgreSQL runs to completion whatever the main query reads. The kinds must not depend on each
 * other's rows within the statement (they all see the snapshot from before it). With `last`, that
 * statement is the transaction's last (SqlOptions.last): nothing may run in the transaction after
 * `withDeferredWrites` returns.
 */
export async function withDeferredWrites<R>(em: EntityManager, kinds: Deferring[], work: () => Promise<R>, options: { last?: boolean } = {}): Promise<R> {
  const collecting = kinds.flatMap((kind) => {
    const rows = kind.collect(em);
    return rows ? [{ kind, rows }] : [];
  });
  try {
    const result = await work();
    await writeTogether(em, collecting, options.last);
    return result;
  } finally {
    for (const { kind } of collecting) kind.stopCollecting(em);
  }
}

/** `last`: the statement ends its transaction (SqlOptions.last). */
async function writeTogether(em: EntityManager, parts: { kind: Deferring; rows: unknown[] }[], last = false): Promise<void> {
  const writing = parts.filter((part) => part.rows.length);
  if (!writing.length) return;
  const statements = writing.map((part) => part.kind.statementOf(part.rows));
  const [row] = await sql<{ at: Date }>(
    em,
    `with ${statements.map((statement, index) => `write_${index} as (${statement.text})`).join(',\n')} select now() as at`,
    statements.flatMap((statement) => statement.values),
    { prepared: true, last },
  );
  const at = new Date(row!.at);
  for (const part of writing) part.kind.writtenOf(part.rows, at);
}
