import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { openLoop, type LoadResult } from './load';

const CREATE_TABLE =
  'create table bench_raw_insert (id uuid primary key, wamid text not null unique, payload jsonb not null, received_at timestamptz not null default now())';
const INSERT = 'insert into bench_raw_insert (id, wamid, payload) values ($1, $2, $3)';
/** About 1.4 KB as JSON, like a webhook delivery. */
const PAYLOAD = JSON.stringify({ object: 'whatsapp_business_account', pad: randomBytes(640).toString('hex') });

/** A fresh baseline table, and `count` connections to insert into it. */
async function prepare(databaseUrl: string, count: number): Promise<{ setup: Client; clients: Client[] }> {
  const setup = new Client({ connectionString: databaseUrl });
  await setup.connect();
  await setup.query('drop table if exists bench_raw_insert');
  await setup.query(CREATE_TABLE);
  const clients = await Promise.all(
    Array.from({ length: count }, async () => {
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      return client;
    }),
  );
  return { setup, clients };
}

async function cleanUp(setup: Client, clients: Client[]): Promise<void> {
  await Promise.all(clients.map((client) => client.end()));
  await setup.query('drop table if exists bench_raw_insert');
  await setup.end();
}

/**
 * The baseline: what PostgreSQL itself does at `concurrency` connections, each committing one
 * ~1.4 KB row per transaction (uuid key, unique wamid, jsonb payload, the shape of an inbox row).
 */
export interface RawInsertResult {
  perSecond: number;
  /** Rows inserted in all, warm-up included (for CPU per row). */
  inserted: number;
}

export async function rawInsertRate(databaseUrl: string, concurrency: number, durationMs: number, warmupMs: number): Promise<RawInsertResult> {
  const { setup, clients } = await prepare(databaseUrl, concurrency);
  const start = Date.now();
  const measureFrom = start + warmupMs;
  const end = measureFrom + durationMs;
  let rows = 0;
  let inserted = 0;
  try {
    await Promise.all(
      clients.map(async (client) => {
        while (Date.now() < end) {
          await client.query(INSERT, [randomUUID(), `wamid.${randomUUID()}`, PAYLOAD]);
          inserted += 1;
          const at = Date.now();
          if (at >= measureFrom && at <= end) rows += 1;
        }
      }),
    );
  } finally {
    await cleanUp(setup, clients);
  }
  return { perSecond: rows / (durationMs / 1000), inserted };
}

/**
 * The latency baseline: the same single-row commits offered at a fixed rate (open loop) over
 * `connections` connections, each insert waiting for a free one, as a request would. With fsync on,
 * a commit waits for the WAL flush, so this p99 is what the disk allows at that rate.
 */
export async function rawInsertLatency(databaseUrl: string, connections: number, ratePerSecond: number, durationMs: number, warmupMs: number): Promise<LoadResult> {
  const { setup, clients } = await prepare(databaseUrl, connections);
  const idle = [...clients];
  const waiting: ((client: Client) => void)[] = [];
  const insert = async () => {
    const client = idle.pop() ?? (await new Promise<Client>((resolve) => waiting.push(resolve)));
    try {
      await client.query(INSERT, [randomUUID(), `wamid.${randomUUID()}`, PAYLOAD]);
      return 200;
    } finally {
      const next = waiting.shift();
      if (next) next(client);
      else idle.push(client);
    }
  };
  try {
    return await openLoop(insert, ratePerSecond, durationMs, warmupMs);
  } finally {
    await cleanUp(setup, clients);
  }
}
