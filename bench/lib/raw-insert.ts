import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';

/**
 * The baseline: what PostgreSQL itself does at `concurrency` connections, each committing one
 * ~1.4 KB row per transaction (uuid key, unique wamid, jsonb payload, the shape of an inbox row).
 */
export async function rawInsertRate(databaseUrl: string, concurrency: number, durationMs: number, warmupMs: number): Promise<number> {
  const setup = new Client({ connectionString: databaseUrl });
  await setup.connect();
  await setup.query('drop table if exists bench_raw_insert');
  await setup.query('create table bench_raw_insert (id uuid primary key, wamid text not null unique, payload jsonb not null, received_at timestamptz not null default now())');
  const clients = await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      return client;
    }),
  );
  const payload = JSON.stringify({ object: 'whatsapp_business_account', pad: randomBytes(640).toString('hex') });
  const start = Date.now();
  const measureFrom = start + warmupMs;
  const end = measureFrom + durationMs;
  let rows = 0;
  try {
    await Promise.all(
      clients.map(async (client) => {
        while (Date.now() < end) {
          await client.query('insert into bench_raw_insert (id, wamid, payload) values ($1, $2, $3)', [randomUUID(), `wamid.${randomUUID()}`, payload]);
          const at = Date.now();
          if (at >= measureFrom && at <= end) rows += 1;
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((client) => client.end()));
    await setup.query('drop table if exists bench_raw_insert');
    await setup.end();
  }
  return rows / (durationMs / 1000);
}
