import type { EntityManager } from './entity-manager';

/**
 * Rows of one kind that a transaction writes together in one statement at its end, instead of a
 * round trip each: a group of inbound messages committed together inserts all its bot replies,
 * and updates all its conversations, at once. Outside `run` nothing is deferred: `add` says so and
 * the caller writes the row at once, with the same statement.
 */
export class DeferredWrites<T> {
  private readonly pending = new WeakMap<EntityManager, T[]>();

  constructor(private readonly write: (em: EntityManager, rows: T[]) => Promise<void>) {}

  /** Keeps `row` for the end of the transaction of `em`; false when `em` defers nothing. */
  add(em: EntityManager, row: T): boolean {
    const rows = this.pending.get(em);
    if (!rows) return false;
    rows.push(row);
    return true;
  }

  /** Writes `row` now, or at the end of `run` when the transaction defers this kind. */
  async addOrWrite(em: EntityManager, row: T): Promise<void> {
    if (!this.add(em, row)) await this.write(em, [row]);
  }

  /** Runs `work` with this kind deferred, then writes what it added (in the order added). */
  async run<R>(em: EntityManager, work: () => Promise<R>): Promise<R> {
    if (this.pending.has(em)) return work();
    const rows: T[] = [];
    this.pending.set(em, rows);
    try {
      const result = await work();
      if (rows.length) await this.write(em, rows);
      return result;
    } finally {
      this.pending.delete(em);
    }
  }
}
