import { Query } from 'pg';

/** The node-postgres protocol writer a query's `prepare` is handed (not in @types/pg). */
interface ProtocolWriter {
  parse(message: { text: string; name: string }): void;
  bind(message: { portal: string; statement: string; values: unknown[] }): void;
  execute(message: { portal: string }): void;
}

type Results = { rows: unknown[] } | { rows: unknown[] }[];

/**
 * A statement preceded by BEGIN in the same write: BEGIN's Parse, Bind and Execute go ahead of the
 * statement's own messages, under the statement's single Sync (PostgreSQL's extended protocol runs
 * them in order and answers them together). On this machine every round trip to PostgreSQL costs
 * more CPU in the two system calls and the wake-up than most statements cost to run, so a
 * transaction saves one by not sending its BEGIN alone.
 *
 * If the statement fails, BEGIN has already run: the transaction is open and aborted, and the
 * caller rolls it back as after any failed statement.
 */
class BeginThenStatement extends Query {
  constructor(config: { name?: string; text: string; values: unknown[] }, callback: (error: Error | undefined, results: Results) => void) {
    // Extended mode even without values or a name: BEGIN must travel in the same Sync.
    super({ ...config, queryMode: 'extended' } as never, callback as never);
  }

  /** Called by node-postgres's Query.submit with the stream corked, so everything leaves in one write. */
  prepare(connection: ProtocolWriter): void {
    connection.parse({ text: 'begin', name: '' });
    connection.bind({ portal: '', statement: '', values: [] });
    connection.execute({ portal: '' });
    (Query.prototype as unknown as { prepare(connection: ProtocolWriter): void }).prepare.call(this, connection);
  }
}

/** A node-postgres client, as knex's pool hands it out. */
interface QueryClient {
  query(query: Query): unknown;
}

/** Opens a transaction on `client` and runs the statement in it, in one round trip; resolves with the statement's result. */
export function beginWithStatement(client: QueryClient, config: { name?: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }> {
  return new Promise((resolve, reject) => {
    client.query(
      new BeginThenStatement(config, (error, results) => {
        if (error) return reject(error);
        // BEGIN's result comes first, the statement's last.
        resolve(Array.isArray(results) ? results[results.length - 1]! : results);
      }),
    );
  });
}
