import { StatementBatcher } from '../../src/db/statement-batcher';

/** A statement that answers each item doubled, records every batch it ran, and can be held or made to fail. */
function fakeStatement(options: { failWhen?: (items: number[]) => boolean } = {}) {
  const batches: number[][] = [];
  const held: (() => void)[] = [];
  let holding = false;
  const run = async (items: number[]) => {
    batches.push(items);
    if (holding) await new Promise<void>((resolve) => held.push(resolve));
    if (options.failWhen?.(items)) throw new Error(`refused ${items.join(',')}`);
    return items.map((item) => item * 2);
  };
  return {
    run,
    batches,
    hold: () => (holding = true),
    release: () => {
      holding = false;
      held.splice(0).forEach((resolve) => resolve());
    },
    inFlight: () => held.length,
  };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('StatementBatcher', () => {
  it('runs a lone call at once, in a batch of its own', async () => {
    const statement = fakeStatement();
    const batcher = new StatementBatcher(statement.run);
    await expect(batcher.submit(21)).resolves.toBe(42);
    expect(statement.batches).toEqual([[21]]);
  });

  it('shares one statement between the calls of one turn, each getting its own answer', async () => {
    const statement = fakeStatement();
    const batcher = new StatementBatcher(statement.run);
    await expect(Promise.all([1, 2, 3].map((n) => batcher.submit(n)))).resolves.toEqual([2, 4, 6]);
    expect(statement.batches).toEqual([[1, 2, 3]]);
  });

  it('gathers the calls made while the statements in flight are busy into the next one', async () => {
    const statement = fakeStatement();
    const batcher = new StatementBatcher(statement.run, { maxInFlight: 1 });
    statement.hold();
    const first = batcher.submit(1);
    await turn();
    expect(statement.inFlight()).toBe(1);
    const later = [2, 3, 4].map((n) => batcher.submit(n));
    await turn();
    expect(statement.batches).toEqual([[1]]);
    statement.release();
    await expect(Promise.all([first, ...later])).resolves.toEqual([2, 4, 6, 8]);
    expect(statement.batches).toEqual([[1], [2, 3, 4]]);
  });

  it('keeps to the batch size and to the statements in flight', async () => {
    const statement = fakeStatement();
    const batcher = new StatementBatcher(statement.run, { maxBatch: 2, maxInFlight: 2 });
    statement.hold();
    const all = [1, 2, 3, 4, 5, 6, 7].map((n) => batcher.submit(n));
    await turn();
    expect(statement.batches).toEqual([[1, 2], [3, 4]]);
    statement.release();
    await expect(Promise.all(all)).resolves.toEqual([2, 4, 6, 8, 10, 12, 14]);
    expect(statement.batches.flat().slice(4).sort()).toEqual([5, 6, 7]);
    expect(statement.batches.every((batch) => batch.length <= 2)).toBe(true);
  });

  it('runs each call of a failed batch alone, so only the bad one fails', async () => {
    const statement = fakeStatement({ failWhen: (items) => items.includes(13) });
    const batcher = new StatementBatcher(statement.run);
    const results = await Promise.allSettled([12, 13, 14].map((n) => batcher.submit(n)));
    expect(results).toEqual([
      { status: 'fulfilled', value: 24 },
      { status: 'rejected', reason: new Error('refused 13') },
      { status: 'fulfilled', value: 28 },
    ]);
    expect(statement.batches[0]).toEqual([12, 13, 14]);
    expect(statement.batches.slice(1).sort()).toEqual([[12], [13], [14]]);
  });

  it('fails every call when the statement fails for all (the database is down), and goes on afterwards', async () => {
    let down = true;
    const statement = fakeStatement({ failWhen: () => down });
    const batcher = new StatementBatcher(statement.run);
    const results = await Promise.allSettled([1, 2].map((n) => batcher.submit(n)));
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    down = false;
    await expect(batcher.submit(5)).resolves.toBe(10);
  });
});
