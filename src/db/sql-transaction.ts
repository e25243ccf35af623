import type { EntityManager } from './entity-manager';
import type { SqlClient } from './sql';

/**
 * A transaction for work done entirely with `sql()`: BEGIN and COMMIT on a connection from the
 * pool, without MikroORM's unit of work. `em.transactional` forks, builds a knex transaction and
 * flushes, which measured about 400 µs of CPU more per transaction on this machine; the webhook
 * worker runs one per batch of statuses. The EntityManager given to `work` is for `sql()` only:
 * it must not load or flush entities.
 */
export async function sqlTransaction<T>(em: EntityManager, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  const pool = em.getKnex().client as unknown as SqlClient;
  const connection = await pool.acquireConnection();
  const run = async (statement: string) => {
    try {
      await connection.query({ text: statement, values: [] });
    } catch (error) {
      throw em.getDriver().convertException(error as Error);
    }
  };
  try {
    await run('begin');
    const tx = em.fork();
    // sql() runs on the transaction context's client: this one always hands out our connection.
    const client: SqlClient = { acquireConnection: async () => connection, releaseConnection: async () => undefined };
    tx.setTransactionContext({ client } as never);
    let result: T;
    try {
      result = await work(tx);
    } catch (error) {
      await run('rollback').catch(() => undefined);
      throw error;
    }
    await run('commit');
    return result;
  } finally {
    await pool.releaseConnection(connection);
  }
}
