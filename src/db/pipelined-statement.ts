import { Query } from 'pg';

/** The node-postgres protocol writer a query's `prepare` is handed (not in @types/pg). */
interface ProtocolWriter {
  parse(message: { text: string; name: string }): void;
  bind(message: { portal: string; statement: string; values: unknown[] }): void;
  execute(message: { portal: string; rows?: number }): void;
  sync(): void;
}

type Result = { rows: unknown[] };

/** Where a statement stands in its transaction: BEGIN and COMMIT may travel with it. */
export interface TransactionEdges {
  /** BEGIN runs just before the statement. */
  begin: boolean;
  /** COMMIT runs just after the statement, if it succeeded. */
  commit: boolean;
}

const queryPrototype = Query.prototype as unknown as {
  prepare(this: Query, connection: ProtocolWriter): void;
};

/**
 * A statement with the BEGIN before it and the COMMIT after it in the same write, under one Sync:
 * PostgreSQL's extended protocol runs the messages in order and answers them together. On this
 * machine a round trip to PostgreSQL costs more in system calls and wake-ups than most statements
 * cost to run (in a CPU profile of the webhook worker, 40% of the busy samples were writes to
 * PostgreSQL), so a transaction should not send its BEGIN and COMMIT alone.
 *
 * When the statement fails, PostgreSQL skips what follows it up to the Sync: COMMIT does not run,
 * and the transaction is left open and aborted (if it was begun), for the caller to roll back as
 * after any failed statement.
 */
class PipelinedStatement extends Query {
  constructor(
    config: { name?: string; text: string; values: unknown[] },
    private readonly edges: TransactionEdges,
    callback: (error: Error | undefined, results: Result | Result[]) => void,
  ) {
    // Extended mode even without values or a name: BEGIN and COMMIT must share the statement's Sync.
    super({ ...config, queryMode: 'extended' } as never, callback as never);
  }

  /** Called by node-postgres's Query.submit with the socket corked: everything leaves in one write. */
  prepare(connection: ProtocolWriter): void {
    if (this.edges.begin) runUnnamed(connection, 'begin');
    queryPrototype.prepare.call(this, connection);
  }

  /** node-postgres's last step of `prepare`: Execute, then Sync (rows are never paged here). */
  _getRows(connection: ProtocolWriter): void {
    connection.execute({ portal: '' });
    if (this.edges.commit) runUnnamed(connection, 'commit');
    connection.sync();
  }
}

function runUnnamed(connection: ProtocolWriter, text: string) {
  connection.parse({ text, name: '' });
  connection.bind({ portal: '', statement: '', values: [] });
  connection.execute({ portal: '' });
}

/** A node-postgres client, as knex's pool hands it out. */
interface QueryClient {
  query(query: Query): unknown;
}

/**
 * Runs the statement on `client` with BEGIN and/or COMMIT in the same round trip; resolves with the
 * statement's result once all of them succeeded.
 */
export function pipelinedStatement(client: QueryClient, config: { name?: string; text: string; values: unknown[] }, edges: TransactionEdges): Promise<Result> {
  return new Promise((resolve, reject) => {
    client.query(
      new PipelinedStatement(config, edges, (error, results) => {
        if (error) return reject(error);
        // One result per command, in order: BEGIN's, the statement's, COMMIT's.
        resolve(Array.isArray(results) ? results[edges.begin ? 1 : 0]! : results);
      }),
    );
  });
}
