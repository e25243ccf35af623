import type { EntityManager } from './entity-manager';
import { pipelinedStatement } from './pipelined-statement';
import type { SqlClient, SqlConnection } from './sql';

/**
 * A transaction for work done entirely with `sql()`: BEGIN and COMMIT on a connection from the
 * pool, without MikroORM's unit of work. `em.transactional` forks, builds a knex transaction and
 * flushes, which measured about 400 µs of CPU more per transaction on this machine; the webhook
 * worker runs one per group of messages and per batch of statuses.
 *
 * BEGIN travels with the first statement, and COMMIT with a statement marked `last`
 * (SqlOptions.last), in the same round trips (pipelined-statement.ts); otherwise COMMIT follows
 * the work. Work that ran no statement sends neither. The EntityManager given to `work` is for
 * `sql()` only: it must not load or flush entities.
 */
export async function sqlTransaction<T>(em: EntityManager, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  const pool = em.getKnex().client as unknown as SqlClient;
  const connection = await pool.acquireConnection();
  // An object, not a variable: TypeScript does not follow assignments made in the closure below.
  const transaction: { state: 'not begun' | 'open' | 'committed' } = { state: 'not begun' };
  const run = async (statement: string) => {
    try {
      await connection.query({ text: statement, values: [] });
    } catch (error) {
      throw em.getDriver().convertException(error as Error);
    }
  };
  try {
    const tx = em.fork();
    // sql() runs on the transaction context's client: this one always hands out our connection.
    const inTransaction: SqlConnection = {
      query: async ({ last, ...config }) => {
        if (transaction.state === 'committed') throw new Error('sqlTransaction: no statement may follow the one marked last, which committed');
        const edges = { begin: transaction.state === 'not begun', commit: Boolean(last) };
        if (!edges.begin && !edges.commit) return connection.query(config);
        // From here a failure leaves the transaction open (or already ended): it is rolled back.
        transaction.state = 'open';
        const result = await pipelinedStatement(connection as never, config, edges);
        if (edges.commit) transaction.state = 'committed';
        return result;
      },
    };
    const client: SqlClient = { acquireConnection: async () => inTransaction, releaseConnection: async () => undefined };
    tx.setTransactionContext({ client } as never);
    let result: T;
    try {
      result = await work(tx);
    } catch (error) {
      if (transaction.state === 'open') await run('rollback').catch(() => undefined);
      throw error;
    }
    if (transaction.state === 'open') await run('commit');
    return result;
  } finally {
    await pool.releaseConnection(connection);
  }
}
