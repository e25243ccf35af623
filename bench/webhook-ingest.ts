/**
 * Webhook ingest benchmark (DESIGN.md section 10): signed single-message deliveries against the real
 * service, next to the raw single-row INSERT rate of the same PostgreSQL measured in the same run.
 *
 *   eval "$(bash scripts/services.sh env)"; npm run bench:webhook -- [--concurrency 16] [--duration 10]
 *
 * Phases: (1) ingest at fixed concurrency against an api-only process (verified, durable, enqueued,
 * 200); (2) the raw INSERT baseline at the same concurrency; (3) ingest rate-limited to half the raw
 * rate, for the p99 target, and raw INSERTs offered at that same rate, for what the disk allows (both
 * in alternating rounds, like phases 1 and 2);
 * (4) a worker process drains the backlog: messages stored per second.
 * The load comes from a lean keep-alive HTTP/1.1 client (bench/lib/keep-alive-client.ts), as wrk
 * would drive it, so that the generator takes as little as possible of the 2 cores from the service.
 * Everything runs in a scratch database and Redis prefix, removed at the end. By default the
 * database is a throwaway PostgreSQL with default durability (fsync on), because the shared
 * development server runs with fsync=off; `--pg shared` uses DATABASE_URL instead.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { cpuSeconds, cpuSecondsByName, processTreeCpuSeconds, serverCpuSeconds, startAppProcess, type AppProcess } from './lib/app-process';
import { RUN_SECRETS, graphql, requireEnv, withDatabase } from './lib/bench-env';
import { WebhookPoster } from './lib/webhook-poster';
import { closedLoop, combine, openLoop, type LoadResult, type Send } from './lib/load';
import { startPrivatePostgres } from './lib/private-postgres';
import { rawInsertLatency, rawInsertRate, type RawInsertResult } from './lib/raw-insert';
import { ms, perSecond } from './lib/stats';

const { values: args } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '16' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    /** Ingest and raw INSERT alternate this many times, splitting the duration: load on a shared machine drifts. */
    rounds: { type: 'string', default: '2' },
    'log-level': { type: 'string', default: 'warn' },
    'skip-worker': { type: 'boolean', default: false },
    /** private: a throwaway PostgreSQL with default durability (fsync on); shared: DATABASE_URL as it is. */
    pg: { type: 'string', default: 'private' },
    /** Writes V8 CPU profiles of the api and worker processes to this folder (open them in Chrome DevTools). */
    'cpu-prof': { type: 'string' },
  },
});
const CONCURRENCY = Number(args.concurrency);
const DURATION_MS = Number(args.duration) * 1000;
const WARMUP_MS = Number(args.warmup) * 1000;
const ROUNDS = Math.max(1, Number(args.rounds));
/** After the first round everything is warm; a short settle lets the previous phase's tail finish. */
const SETTLE_MS = 500;

async function admin(adminUrl: string, sql: string) {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function createChannel(url: string) {
  const org = await graphql(url, RUN_SECRETS.ADMIN_TOKEN, 'mutation ($input: CreateOrganizationInput!) { createOrganization(input: $input) { secret } }', {
    input: { name: 'Bench' },
  });
  const phoneNumberId = `1${Date.now()}`;
  await graphql(
    url,
    org.createOrganization.secret,
    'mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } } }',
    { input: { phoneNumberId, wabaId: `9${phoneNumberId}`, displayPhoneNumber: '+1 555 010 0000', accessToken: 'EAAG-bench' } },
  );
  return { phoneNumberId, wabaId: `9${phoneNumberId}` };
}

interface DeliveryFields {
  from: string;
  name: string;
  wamid: string;
  timestamp: string;
  order: string;
}

function deliveryJson(channel: { phoneNumberId: string; wabaId: string }, fields: DeliveryFields): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: channel.wabaId,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550100000', phone_number_id: channel.phoneNumberId },
              contacts: [{ profile: { name: fields.name }, wa_id: fields.from }],
              messages: [
                {
                  from: fields.from,
                  id: fields.wamid,
                  timestamp: fields.timestamp,
                  type: 'text',
                  text: { body: `Olá! Pedido ${fields.order}. ${'Gostaria de saber o status da minha entrega. '.repeat(20)}` },
                },
              ],
            },
          },
        ],
      },
    ],
  });
}

/**
 * A realistic single text message from one of 1,000 customers, padded to ~1.4 KB like the raw rows,
 * with a fresh wamid. The JSON is laid out once and filled in by concatenation: the values need no
 * escaping, and stringifying the nested object for every request cost the generator more CPU than
 * the service spends parsing it.
 */
function deliveryFactory(channel: { phoneNumberId: string; wabaId: string }): (n: number) => string {
  const keys = ['from', 'name', 'wamid', 'timestamp', 'order'] as const;
  const layout = deliveryJson(channel, Object.fromEntries(keys.map((key, i) => [key, `@@${i}@@`])) as unknown as DeliveryFields).split(/@@(\d)@@/);
  return (n) => {
    const from = `55119${String(n % 1000).padStart(8, '0')}`;
    const values = [from, `Customer ${n % 1000}`, `wamid.HBgN${randomUUID().replace(/-/g, '').toUpperCase()}`, String(Math.floor(Date.now() / 1000)), String(n)];
    let json = '';
    for (let i = 0; i < layout.length; i++) json += i % 2 ? values[Number(layout[i])] : layout[i];
    return json;
  };
}

/** Keep-alive POSTs of fresh signed deliveries, at most `sockets` connections. */
function webhookSender(url: string, channel: { phoneNumberId: string; wabaId: string }, sockets: number): { send: Send; poster: WebhookPoster } {
  const poster = new WebhookPoster(url, RUN_SECRETS.META_APP_SECRET, sockets);
  const delivery = deliveryFactory(channel);
  let n = 0;
  return { send: () => poster.post(delivery(n++)), poster };
}

interface CpuUse {
  api: number;
  /** This process: the load generator, or the raw INSERT client. */
  generator: number;
  postgres: number;
  redis: number;
}

/** Runs `phase` and adds the CPU seconds each process used meanwhile to `total`. */
async function measureCpu<T>(total: CpuUse, apiPid: number, postgresPid: number | undefined, phase: () => Promise<T>): Promise<T> {
  const snapshot = (): CpuUse => {
    const own = process.cpuUsage();
    return {
      api: cpuSeconds(apiPid),
      generator: (own.user + own.system) / 1e6,
      postgres: postgresPid === undefined ? serverCpuSeconds('postgres') : processTreeCpuSeconds(postgresPid),
      redis: cpuSecondsByName('redis-server'),
    };
  };
  const before = snapshot();
  const result = await phase();
  const after = snapshot();
  for (const key of Object.keys(total) as (keyof CpuUse)[]) total[key] += after[key] - before[key];
  return result;
}

function report(label: string, result: LoadResult) {
  const failed = Object.entries(result.failures).map(([status, count]) => `${status} x${count}`).join(', ');
  console.log(
    `  ${label.padEnd(34)} ${perSecond(result.okPerSecond).padStart(9)}   p50 ${ms(result.latency.p50).padStart(9)}   p99 ${ms(result.latency.p99).padStart(9)}   max ${ms(result.latency.max).padStart(9)}${failed ? `   not 200: ${failed}` : ''}`,
  );
}

async function count(db: Client, sql: string): Promise<number> {
  return (await db.query(sql)).rows[0].n as number;
}

async function main() {
  if (args.pg !== 'private' && args.pg !== 'shared') throw new Error('--pg is private or shared');
  const privatePg = args.pg === 'private' ? await startPrivatePostgres() : undefined;
  const adminUrl = privatePg?.url ?? requireEnv('DATABASE_URL');
  // Ctrl-C: the app processes get the signal themselves; the private server must not be left behind.
  process.once('SIGINT', () => {
    privatePg?.stop();
    process.exit(130);
  });
  const database = `wa_bench_${randomBytes(5).toString('hex')}`;
  const databaseUrl = withDatabase(adminUrl, database);
  const prefix = `bench${randomBytes(4).toString('hex')}`;
  const logFile = path.join(tmpdir(), `${database}.log`);
  const env = {
    ...RUN_SECRETS,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    REDIS_URL: requireEnv('REDIS_URL'),
    REDIS_PREFIX: prefix,
    LOG_LEVEL: args['log-level']!,
    // Creating a channel queues a template sync: keep it off the network (it fails at once, harmlessly).
    META_GRAPH_URL: 'http://127.0.0.1:9/v25.0',
  };
  console.log(
    `webhook ingest: concurrency ${CONCURRENCY}, ${DURATION_MS / 1000} s per phase (ingest and raw in ${ROUNDS} alternating rounds) after ${WARMUP_MS / 1000} s warm-up; app log ${logFile}`,
  );

  await admin(adminUrl, `create database ${database}`);
  const db = new Client({ connectionString: databaseUrl });
  let api: AppProcess | undefined;
  let worker: AppProcess | undefined;
  try {
    const profile = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args['cpu-prof'])}`] : [];
    api = await startAppProcess({ ...env, ROLE: 'api' }, logFile, profile);
    await db.connect();
    const channel = await createChannel(api.url);
    const { send, poster } = webhookSender(api.url, channel, CONCURRENCY * 4);
    const setting = async (name: string) => (await db.query(`select current_setting('${name}') as value`)).rows[0].value as string;
    console.log(
      `  delivery size ${Buffer.byteLength(deliveryFactory(channel)(0))} bytes; ${args.pg} PostgreSQL ${await setting('server_version')}, fsync ${await setting('fsync')}, synchronous_commit ${await setting('synchronous_commit')}\n`,
    );

    const ingestRounds: LoadResult[] = [];
    const ingestCpu: CpuUse = { api: 0, generator: 0, postgres: 0, redis: 0 };
    const rawRounds: RawInsertResult[] = [];
    const rawCpu: CpuUse = { api: 0, generator: 0, postgres: 0, redis: 0 };
    const roundMs = DURATION_MS / ROUNDS;
    for (let round = 0; round < ROUNDS; round++) {
      const warmup = round === 0 ? WARMUP_MS : SETTLE_MS;
      ingestRounds.push(await measureCpu(ingestCpu, api.process.pid!, privatePg?.pid(), () => closedLoop(send, CONCURRENCY, roundMs, warmup)));
      rawRounds.push(await measureCpu(rawCpu, api.process.pid!, privatePg?.pid(), () => rawInsertRate(databaseUrl, CONCURRENCY, roundMs, SETTLE_MS)));
      if (ROUNDS > 1) {
        report(`  round ${round + 1}: ingest`, ingestRounds[round]!);
        console.log(`  ${`  round ${round + 1}: raw INSERT`.padEnd(34)} ${perSecond(rawRounds[round]!.perSecond).padStart(9)}`);
      }
    }
    const ingest = combine(ingestRounds);
    const raw = rawRounds.reduce((sum, round) => sum + round.perSecond, 0) / ROUNDS;
    report(`ingest, ${CONCURRENCY} concurrent`, ingest);
    console.log(`  ${`raw INSERT, ${CONCURRENCY} connections`.padEnd(34)} ${perSecond(raw).padStart(9)}`);
    console.log(`  ${'ingest / raw'.padEnd(34)} ${(ingest.okPerSecond / raw).toFixed(2).padStart(9)}x   (target >= 1.00)`);
    // CPU time per request does not depend on how busy the machine is, unlike the rates.
    const per = (seconds: number, count: number) => `${Math.round((seconds / count) * 1e6)} µs`;
    const inserted = rawRounds.reduce((sum, round) => sum + round.inserted, 0);
    const pg = privatePg ? 'PostgreSQL' : 'PostgreSQL (and its other clients)';
    console.log(
      `  ${'CPU per delivery'.padEnd(34)} api ${per(ingestCpu.api, ingest.answered)}, ${pg} ${per(ingestCpu.postgres, ingest.answered)}, Redis ${per(ingestCpu.redis, ingest.answered)}, load generator ${per(ingestCpu.generator, ingest.answered)}`,
    );
    console.log(`  ${'CPU per raw INSERT'.padEnd(34)} ${pg} ${per(rawCpu.postgres, inserted)}, client ${per(rawCpu.generator, inserted)}; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);

    // Alternating too: the disk stalls now and then (a second or so of slow commits), and a phase
    // that met a stall and one that did not would compare the disk, not the service.
    const halfRounds: LoadResult[] = [];
    const rawHalfRounds: LoadResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      halfRounds.push(await openLoop(send, raw / 2, roundMs, round === 0 ? WARMUP_MS : SETTLE_MS));
      rawHalfRounds.push(await rawInsertLatency(databaseUrl, CONCURRENCY, raw / 2, roundMs, SETTLE_MS));
      if (ROUNDS > 1) {
        report(`  round ${round + 1}: ingest at half raw`, halfRounds[round]!);
        report(`  round ${round + 1}: raw INSERT, same rate`, rawHalfRounds[round]!);
      }
    }
    const half = combine(halfRounds);
    const rawHalf = combine(rawHalfRounds);
    report(`ingest at half raw (${Math.round(raw / 2)}/s)`, half);
    report(`raw INSERT at the same rate`, rawHalf);
    console.log(`  ${'p99 at half raw'.padEnd(34)} ${ms(half.latency.p99).padStart(9)}    (target < 25 ms; raw INSERT ${ms(rawHalf.latency.p99)})`);
    poster.close();

    const accepted = await count(db, 'select count(*)::int as n from webhook_delivery');
    // A group commit stamps its rows with its transaction's time, so distinct times count the commits.
    const commits = await count(db, 'select count(distinct received_at)::int as n from webhook_delivery');
    const redis = new IORedis(requireEnv('REDIS_URL'));
    const jobs = await redis.llen(`{${prefix}}:webhook:wait`).finally(() => redis.disconnect());
    console.log(
      `\n  deliveries stored: ${accepted.toLocaleString('en-US')}, in ${commits.toLocaleString('en-US')} commits (${(accepted / commits).toFixed(1)} per commit) and ${jobs.toLocaleString('en-US')} jobs (${(accepted / jobs).toFixed(1)} per job)`,
    );
    if (!args['skip-worker']) {
      // The backlog is far larger than one phase can drain: the rate over a fixed window is the figure.
      worker = await startAppProcess({ ...env, ROLE: 'worker' }, logFile, profile);
      const messages = () => count(db, 'select count(*)::int as n from message');
      const from = { at: Date.now(), n: await messages(), cpu: cpuSeconds(worker.process.pid!) };
      const until = from.at + DURATION_MS;
      let last = { at: from.at, n: from.n };
      while (Date.now() < until && last.n < accepted) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        last = { at: Date.now(), n: await messages() };
      }
      const rate = (last.n - from.n) / ((last.at - from.at) / 1000);
      const cpuPerMessage = (cpuSeconds(worker.process.pid!) - from.cpu) / Math.max(1, last.n - from.n);
      console.log(`  ${'processed end to end (worker)'.padEnd(34)} ${perSecond(rate).padStart(9)}   (messages stored per second, draining the backlog)`);
      console.log(`  ${'worker CPU per message'.padEnd(34)} ${`${(cpuPerMessage * 1000).toFixed(1)} ms`.padStart(9)}`);
    }
  } finally {
    await worker?.stop();
    await api?.stop();
    await db.end().catch(() => undefined);
    await admin(adminUrl, `drop database if exists ${database} with (force)`).catch(() => undefined);
    privatePg?.stop();
    const redis = new IORedis(requireEnv('REDIS_URL'));
    for await (const keys of redis.scanStream({ match: `{${prefix}}:*`, count: 1000 }) as AsyncIterable<string[]>) if (keys.length) await redis.unlink(...keys);
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<string[]>) if (keys.length) await redis.unlink(...keys);
    redis.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
