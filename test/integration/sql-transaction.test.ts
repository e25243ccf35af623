import { DriverException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { systemEm } from '../../src/db/entity-manager';
import { sql, statementName } from '../../src/db/sql';
import { sqlTransaction } from '../../src/db/sql-transaction';
import { startTestApp, type TestApp } from '../helpers/test-app';

/** The lean transaction the webhook worker applies status batches in (src/db/sql-transaction.ts). */
describe('sqlTransaction', () => {
  let app: TestApp;
  const em = () => systemEm(app.orm);
  const count = async (name: string) =>
    (await sql<{ n: number }>(em(), 'select count(*)::int as n from sql_transaction_probe where name = ?', [name]))[0]!.n;

  beforeAll(async () => {
    app = await startTestApp();
    await sql(em(), 'create table sql_transaction_probe (name text primary key)');
    // Checked at COMMIT, so a COMMIT can fail.
    await sql(em(), 'create table sql_transaction_deferred_probe (name text, constraint deferred_unique unique (name) deferrable initially deferred)');
  });
  afterAll(() => app?.stop());

  it('commits what its statements wrote and returns what the work returns', async () => {
    const result = await sqlTransaction(em(), async (tx) => {
      await sql(tx, 'insert into sql_transaction_probe (name) values (?)', ['kept']);
      // Seen inside the transaction, by the same connection.
      return (await sql<{ n: number }>(tx, 'select count(*)::int as n from sql_transaction_probe where name = ?', ['kept']))[0]!.n;
    });
    expect(result).toBe(1);
    expect(await count('kept')).toBe(1);
  });

  it('rolls everything back when the work fails, and rethrows the typed error', async () => {
    await sql(em(), 'insert into sql_transaction_probe (name) values (?)', ['taken']);
    const attempt = sqlTransaction(em(), async (tx) => {
      await sql(tx, 'insert into sql_transaction_probe (name) values (?)', ['undone']);
      await sql(tx, 'insert into sql_transaction_probe (name) values (?)', ['taken']);
    });
    await expect(attempt).rejects.toBeInstanceOf(UniqueConstraintViolationException);
    await expect(attempt).rejects.toThrow(/insert into sql_transaction_probe .* - duplicate key value/);
    expect(await count('undone')).toBe(0);
  });

  it('opens the transaction with its first statement: that statement is inside it, and its result is the statement\'s', async () => {
    const attempt = sqlTransaction(em(), async (tx) => {
      const inserted = await sql<{ name: string }>(tx, 'insert into sql_transaction_probe (name) values (?) returning name', ['first']);
      expect(inserted).toEqual([{ name: 'first' }]);
      // A statement without rows answers no rows (not BEGIN's result either).
      expect(await sql(tx, 'update sql_transaction_probe set name = name where name = ?', ['nobody'])).toEqual([]);
      throw new Error('changed my mind');
    });
    await expect(attempt).rejects.toThrow('changed my mind');
    expect(await count('first')).toBe(0);
  });

  it('rolls back when its first statement fails, and names that statement in the typed error', async () => {
    await sql(em(), 'insert into sql_transaction_probe (name) values (?)', ['occupied']);
    const attempt = sqlTransaction(em(), (tx) => sql(tx, 'insert into sql_transaction_probe (name) values (?)', ['occupied']));
    await expect(attempt).rejects.toBeInstanceOf(UniqueConstraintViolationException);
    await expect(attempt).rejects.toThrow(/^insert into sql_transaction_probe .* - duplicate key value/);
    // The connection went back clean: the next transactions on the pool commit.
    await Promise.all(Array.from({ length: 12 }, (_, i) => sqlTransaction(em(), (tx) => sql(tx, 'insert into sql_transaction_probe (name) values (?)', [`after ${i}`]))));
    expect(await count('after 11')).toBe(1);
  });

  it('sends nothing for work that runs no statement, and returns what it returns', async () => {
    expect(await sqlTransaction(em(), async () => 'nothing to do')).toBe('nothing to do');
    expect((await sqlTransaction(em(), (tx) => sql<{ one: number }>(tx, 'select 1 as one')))[0]!.one).toBe(1);
  });

  describe('a statement marked last carries the COMMIT', () => {
    it('commits with it and returns its rows, also when it is the only statement (BEGIN, it and COMMIT at once)', async () => {
      const rows = await sqlTransaction(em(), async (tx) => {
        await sql(tx, 'insert into sql_transaction_probe (name) values (?)', ['before last']);
        return sql<{ name: string }>(tx, 'insert into sql_transaction_probe (name) values (?) returning name', ['last'], { last: true });
      });
      expect(rows).toEqual([{ name: 'last' }]);
      expect([await count('before last'), await count('last')]).toEqual([1, 1]);

      const alone = await sqlTransaction(em(), (tx) => sql<{ name: string }>(tx, 'insert into sql_transaction_probe (name) values (?) returning name', ['alone'], { last: true, prepared: true }));
      expect(alone).toEqual([{ name: 'alone' }]);
      expect(await count('alone')).toBe(1);
    });

    it('refuses a statement after it: what came before is committed, the refused one never runs', async () => {
      const attempt = sqlTransaction(em(), async (tx) => {
        await sql(tx, 'insert into sql_transaction_probe (name) values (?)', ['committed early'], { last: true });
        await sql(tx, 'insert into sql_transaction_probe (name) values (?)', ['too late']);
      });
      await expect(attempt).rejects.toThrow(/no statement may follow the one marked last/);
      expect([await count('committed early'), await count('too late')]).toEqual([1, 0]);
    });

    it('commits nothing when it fails, and leaves the connection clean', async () => {
      await sql(em(), 'insert into sql_transaction_probe (name) values (?)', ['in the way']);
      const attempt = sqlTransaction(em(), async (tx) => {
        await sql(tx, 'insert into sql_transaction_probe (name) values (?)', ['rolled back']);
        await sql(tx, 'insert into sql_transaction_probe (name) values (?)', ['in the way'], { last: true });
      });
      await expect(attempt).rejects.toBeInstanceOf(UniqueConstraintViolationException);
      expect(await count('rolled back')).toBe(0);
      const fine = await Promise.all(Array.from({ length: 12 }, (_, i) => sqlTransaction(em(), (tx) => sql(tx, 'select ?::int as i', [i], { last: true }))));
      expect(fine.map((rows) => rows[0]!.i)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    });

    it('fails with the COMMIT when the COMMIT fails (a deferred constraint), and nothing is kept', async () => {
      const attempt = sqlTransaction(em(), async (tx) => {
        await sql(tx, 'insert into sql_transaction_deferred_probe (name) values (?)', ['twice']);
        await sql(tx, 'insert into sql_transaction_deferred_probe (name) values (?)', ['twice'], { last: true });
      });
      await expect(attempt).rejects.toBeInstanceOf(UniqueConstraintViolationException);
      expect((await sql<{ n: number }>(em(), 'select count(*)::int as n from sql_transaction_deferred_probe'))[0]!.n).toBe(0);
    });

    it('changes nothing outside sqlTransaction', async () => {
      expect(await sql<{ n: number }>(em(), 'select 41 + 1 as n', [], { last: true })).toEqual([{ n: 42 }]);
    });
  });

  it('gives its connection back to the pool whatever happens (more transactions than the pool holds)', async () => {
    const failing = Array.from({ length: 12 }, (_, i) =>
      sqlTransaction(em(), async (tx) => {
        await sql(tx, 'select ?::int / 0', [i]);
      }).catch((error: unknown) => error),
    );
    for (const error of await Promise.all(failing)) expect(error).toBeInstanceOf(DriverException);
    const fine = await Promise.all(Array.from({ length: 12 }, (_, i) => sqlTransaction(em(), (tx) => sql(tx, 'select ?::int as i', [i]))));
    expect(fine.map((rows) => rows[0]!.i)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('prepares a statement asked to be prepared once per connection and binds it on later calls, also after a call of it failed', async () => {
    const text = 'select ?::int / ?::int as quotient';
    const prepared = { prepared: true };
    const statements = await sqlTransaction(em(), async (tx) => {
      expect((await sql<{ quotient: number }>(tx, text, [6, 3], prepared))[0]!.quotient).toBe(2);
      expect((await sql<{ quotient: number }>(tx, text, [9, 3], prepared))[0]!.quotient).toBe(3);
      return sql<{ name: string; statement: string }>(tx, 'select name, statement from pg_prepared_statements where statement like ?', ['select $1::int / $2::int%']);
    });
    expect(statements).toEqual([{ name: statementName('select $1::int / $2::int as quotient'), statement: 'select $1::int / $2::int as quotient' }]);

    await expect(sqlTransaction(em(), (tx) => sql(tx, text, [1, 0], prepared))).rejects.toThrow(/division by zero/);
    expect((await sqlTransaction(em(), (tx) => sql<{ quotient: number }>(tx, text, [8, 2], prepared)))[0]!.quotient).toBe(4);
  });

  it('prepares nothing unasked, nor a text with a list expanded to its length (it varies with the list)', async () => {
    const found = await sqlTransaction(em(), async (tx) => {
      await sql(tx, 'select count(*) as n from sql_transaction_probe where name = ?', ['unasked']);
      await sql(tx, 'select count(*) as n from sql_transaction_probe where name in (?)', [['a', 'b', 'c']], { prepared: true });
      return sql(tx, 'select statement from pg_prepared_statements where statement like ?', ['%from sql_transaction_probe where name%']);
    });
    expect(found).toEqual([]);
  });
});
