import { beginWithStatement } from './begin-with-statement';
import type { EntityManager } from './entity-manager';
import type { SqlClient, SqlConnection } from './sql';

/**
 * A transaction for work done entirely with `sql()`: BEGIN and COMMIT on a connection from the
 * pool, without MikroORM's unit of work. `em.transactional` forks, builds a knex transaction and
 * flushes, which measured about 400 µs of CPU more per transaction on this machine; the webhook
 * worker runs one per batch of statuses. BEGIN travels with the first statement, in the same round
 * trip (begin-with-statement.ts); work that ran no statement sends neither BEGIN nor COMMIT. The
 * EntityManager given to `work` is for `sql()` only: it must not load or flush entities.
 */
export async function sqlTransaction<T>(em: EntityManager, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  const pool = em.getKnex().client as unknown as SqlClient;
  const connection = await pool.acquireConnection();
  let begun = false;
  const run = async (statement: string) => {
    try {
      await connection.query({ text: statement, values: [] });
    } catch (error) {
      throw em.getDriver().convertException(error as Error);
    }
  };
  try {
    const tx = em.fork();
    // sql() runs on the transaction context's client: this one always hands out our connection,
    // which sends BEGIN ahead of the first statement.
    const inTransaction: SqlConnection = {
      query: (config) => {
        if (begun) return connection.query(config);
        begun = true;
        return beginWithStatement(connection as never, config);
      },
    };
    const client: SqlClient = { acquireConnection: async () => inTransaction, releaseConnection: async () => undefined };
    tx.setTransactionContext({ client } as never);
    let result: T;
    try {
      result = await work(tx);
    } catch (error) {
      if (begun) await run('rollback').catch(() => undefined);
      throw error;
    }
    if (begun) await run('commit');
    return result;
  } finally {
    await pool.releaseConnection(connection);
  }
}
