/**
 * Outbound send throughput against the fake Graph API (issue 4, point 7).
 *
 *   eval "$(bash scripts/services.sh env)" && npm run bench:send [-- --messages 2000 --channels 4 --errors 100 --processes 1]
 *
 * Starts the fake Graph API here and the real app (`src/main.ts`, api and workers) as a child
 * process on a fresh database and Redis prefix (`--processes N` adds N - 1 worker-only processes,
 * which share the channel's token bucket through Redis), then for each run: opens one 24-hour window per
 * recipient (rows written by SQL, as the inbound pipeline would leave them), pauses the outbound
 * queue, queues the messages through GraphQL `sendMessage`, resumes the queue and waits until none
 * is QUEUED. Every recipient gets one message, so Meta's pair limit never binds and the channel's
 * throughput (`throughputPerSecond`, 80 by default) is the only pace.
 *
 * The figures come from the fake's own request log: the rate of accepted sends per channel, and the
 * most sends it saw for one channel in any sliding one-second window, against the limit; the same
 * window is also counted on a second clock, the database time at which a worker claimed each send
 * (`send_started_at`), to tell bursts made by the app from bunching in the fake's own event loop.
 * Each run prints the machine's load average: on a shared machine the figures move with it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { FakeGraphApi, type RecordedRequest } from '../src/devtools/fake-graph';
import { bullConnection } from '../src/app/redis';
import { startAppProcess, type AppProcess } from './lib/app-process';
import { requireEnv, withDatabase } from './lib/bench-env';

const ADMIN_TOKEN = `bench-admin-${randomBytes(8).toString('hex')}`;
const GRAPH_VERSION = 'v25.0';
/** Senders queueing messages through GraphQL at once. */
const QUEUEING_CONCURRENCY = 16;

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const raw = index >= 0 ? process.argv[index + 1] : process.env[`BENCH_${name.toUpperCase()}`];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive whole number`);
  return value;
}

const databaseUrl = (name: string) => withDatabase(requireEnv('DATABASE_URL'), name);

async function adminSql(sql: string): Promise<void> {
  const client = new Client({ connectionString: requireEnv('DATABASE_URL') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Figures

interface Channel {
  id: string;
  phoneNumberId: string;
  throughputPerSecond: number;
}

/** Most timestamps (ms) in any window [t, t + 1000). */
function maxInOneSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= 1000) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/** Sends per second between the first and the last: n sends span n - 1 intervals. */
function rateOf(times: number[]): number {
  if (times.length < 2) return NaN;
  const span = Math.max(...times) - Math.min(...times);
  return span > 0 ? ((times.length - 1) * 1000) / span : NaN;
}

/** CPU seconds (user + system) a process has used so far; NaN where /proc is unavailable. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** The median gap between consecutive sends, in ms: 1000 / limit when the pace is even and on time. */
function medianGap(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  const gaps = sorted.slice(1).map((t, i) => t - sorted[i]!).sort((a, b) => a - b);
  return gaps.length ? gaps[Math.floor(gaps.length / 2)]! : NaN;
}

const sendsOf = (requests: RecordedRequest[], phoneNumberId: string) => requests.filter((r) => r.kind === 'send' && r.phoneNumberId === phoneNumberId);
const acceptedTimes = (requests: RecordedRequest[]) => requests.filter((r) => r.wamid !== undefined).map((r) => r.at.getTime());
const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

function printChannelLine(label: string, channel: Channel, requests: RecordedRequest[], claimTimes: number[]) {
  const times = acceptedTimes(sendsOf(requests, channel.phoneNumberId));
  const limit = channel.throughputPerSecond;
  const atFake = maxInOneSecond(times);
  const claimed = maxInOneSecond(claimTimes);
  const rate = rateOf(times);
  const flag = (count: number) => `${count}${count > limit ? ' (ABOVE)' : ''}`;
  console.log(
    `  ${label.padEnd(10)} ${String(times.length).padStart(5)} sent  ${fixed(rate).padStart(5)} msg/s = ${fixed((rate / limit) * 100)}% of ${limit}` +
      `   busiest 1 s: ${flag(atFake)} at the fake, ${flag(claimed)} by claim time` +
      `   median gap ${fixed(medianGap(times))} ms (even: ${fixed(1000 / limit)})`,
  );
  return { times, maxWindow: atFake };
}

// ---------------------------------------------------------------------------------------------
// The bench

class Bench {
  private app: AppProcess | null = null;
  /** Extra worker-only processes sharing the database, Redis and therefore the send governor. */
  private workers: AppProcess[] = [];
  fake: FakeGraphApi | null = null;
  private queue: Queue | null = null;
  private db: Client | null = null;
  private ownerKey = '';
  private organizationId = '';
  private runs = 0;
  readonly databaseName = `wa_bench_send_${randomBytes(4).toString('hex')}`;
  readonly prefix = `bsend${randomBytes(4).toString('hex')}`;
  readonly logFile = path.join(os.tmpdir(), `${this.prefix}.log`);

  /** `processes`: app processes running the send workers (the first also serves GraphQL). */
  constructor(readonly processes: number) {}

  async start() {
    await adminSql(`CREATE DATABASE ${this.databaseName}`);
    this.fake = await FakeGraphApi.start();
    const env = {
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        DATABASE_URL: databaseUrl(this.databaseName),
        REDIS_URL: requireEnv('REDIS_URL'),
        REDIS_PREFIX: this.prefix,
        META_GRAPH_URL: `${this.fake.url}/${GRAPH_VERSION}`,
        META_APP_SECRET: randomBytes(16).toString('hex'),
        META_VERIFY_TOKEN: randomBytes(16).toString('hex'),
        ADMIN_TOKEN,
        ENCRYPTION_KEY: randomBytes(32).toString('hex'),
        JWT_SECRET: randomBytes(32).toString('hex'),
        // The bench queues thousands of messages with one key; the API limit is not what it measures.
        RATE_LIMIT_PER_MINUTE: '1000000',
    };
    this.app = await startAppProcess({ ...env, ROLE: 'all' }, this.logFile);
    for (let i = 1; i < this.processes; i++) this.workers.push(await startAppProcess({ ...env, ROLE: 'worker' }, this.logFile));
    this.db = new Client({ connectionString: databaseUrl(this.databaseName) });
    await this.db.connect();
    this.queue = new Queue('outbound', { connection: bullConnection(requireEnv('REDIS_URL')), prefix: `{${this.prefix}}` });

    const created = await this.graphql<{ createOrganization: { organization: { id: string }; secret: string } }>(
      `mutation ($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } secret } }`,
      { input: { name: 'Send bench' } },
      ADMIN_TOKEN,
    );
    this.ownerKey = created.createOrganization.secret;
    this.organizationId = created.createOrganization.organization.id;
  }

  async stop() {
    await this.queue?.close().catch(() => undefined);
    await Promise.all([this.app, ...this.workers].map((app) => app?.stop().catch(() => undefined)));
    await this.fake?.close().catch(() => undefined);
    await this.db?.end().catch(() => undefined);
    await adminSql(`DROP DATABASE IF EXISTS ${this.databaseName} WITH (FORCE)`).catch(() => undefined);
    const redis = new IORedis(requireEnv('REDIS_URL'), { maxRetriesPerRequest: 1 });
    try {
      for (const pattern of [`${this.prefix}:*`, `{${this.prefix}}:*`]) {
        for await (const keys of redis.scanStream({ match: pattern, count: 1000 }) as AsyncIterable<string[]>) if (keys.length) await redis.unlink(...keys);
      }
    } finally {
      redis.disconnect();
    }
  }

  get requests(): RecordedRequest[] {
    return this.fake!.requests;
  }

  async graphql<T>(query: string, variables: Record<string, unknown>, token = this.ownerKey): Promise<T> {
    const response = await fetch(`${this.app!.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    if (body.errors?.length) throw new Error(`GraphQL: ${body.errors.map((e) => `${e.extensions?.code}: ${e.message}`).join('; ')}`);
    return body.data!;
  }

  async createChannels(count: number): Promise<Channel[]> {
    const channels: Channel[] = [];
    for (let i = 0; i < count; i++) {
      const id = `${Date.now()}${i}${randomBytes(2).readUInt16BE()}`;
      const result = await this.graphql<{ createChannel: { channel: { id: string; phoneNumberId: string } } }>(
        `mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id phoneNumberId } } }`,
        { input: { phoneNumberId: id, wabaId: `9${id}`, displayPhoneNumber: '+1 555 010 0000', accessToken: `EAAG-bench-${id}` } },
      );
      const [row] = (await this.db!.query<{ throughput_per_second: number }>(`select throughput_per_second from channel where id = $1`, [result.createChannel.channel.id])).rows;
      channels.push({ ...result.createChannel.channel, throughputPerSecond: Number(row!.throughput_per_second) });
    }
    return channels;
  }

  /** `count` conversations on the channel, each with its own recipient and an open 24-hour window. */
  async openConversations(channel: Channel, count: number): Promise<string[]> {
    this.runs += 1;
    const waIdPrefix = `55${String(this.runs).padStart(2, '0')}${channel.phoneNumberId.slice(-3)}`;
    const { rows } = await this.db!.query<{ id: string }>(
      `with contacts as (
         insert into contact (id, created_at, updated_at, organization_id, wa_id, name, first_seen_at, last_seen_at)
         select gen_random_uuid(), now(), now(), $1, $2 || lpad(g::text, 7, '0'), 'Bench customer', now(), now()
         from generate_series(1, $3::int) g
         returning id
       )
       insert into conversation (id, created_at, updated_at, organization_id, channel_id, contact_id, status, last_inbound_at, window_expires_at, last_message_at)
       select gen_random_uuid(), now(), now(), $1, $4, contacts.id, 'WAITING_AGENT', now(), now() + interval '24 hours', now() from contacts
       returning id`,
      [this.organizationId, waIdPrefix, count, channel.id],
    );
    return rows.map((row) => row.id);
  }

  /** Queues one text message per conversation through GraphQL `sendMessage`, several senders at once. */
  async queueMessages(conversationIds: string[]): Promise<number> {
    const started = performance.now();
    let next = 0;
    const sender = async () => {
      while (next < conversationIds.length) {
        const conversationId = conversationIds[next++]!;
        await this.graphql(`mutation ($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }`, {
          input: { conversationId, text: `Your order has shipped (${conversationId.slice(0, 8)})` },
        });
      }
    };
    await Promise.all(Array.from({ length: QUEUEING_CONCURRENCY }, sender));
    return (conversationIds.length * 1000) / (performance.now() - started);
  }

  /** When each message's (last) request was about to leave: `send_started_at`, set by the worker's claim. */
  async claimTimes(channel: Channel): Promise<number[]> {
    const { rows } = await this.db!.query<{ at: string }>(
      `select (extract(epoch from send_started_at) * 1000)::bigint::text as at from message
       where channel_id = $1 and direction = 'OUT' and status = 'SENT' and send_started_at is not null`,
      [channel.id],
    );
    return rows.map((row) => Number(row.at));
  }

  async outcomes(channels: Channel[]): Promise<Record<string, number>> {
    const { rows } = await this.db!.query<{ status: string; count: string }>(
      `select status, count(*) from message where direction = 'OUT' and channel_id = any($1::uuid[]) group by status`,
      [channels.map((c) => c.id)],
    );
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
  }

  /** Queues with the outbound queue paused, then lets it go and waits until no message is QUEUED. */
  async run(title: string, channels: Channel[], perChannel: number, before?: () => void) {
    console.log(`\n${title}   (machine load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs)`);
    const conversations: string[][] = [];
    for (const channel of channels) conversations.push(await this.openConversations(channel, perChannel));
    // Interleaved, so every channel has work from the first second.
    const order = Array.from({ length: perChannel }, (_, i) => conversations.map((list) => list[i]!)).flat();
    this.fake!.reset();
    before?.();
    await this.queue!.pause();
    const queueRate = await this.queueMessages(order);
    console.log(`  queued ${order.length} messages through GraphQL sendMessage (${fixed(queueRate, 0)}/s), outbound queue paused`);

    const pids = [this.app!, ...this.workers].map((app) => app.process.pid);
    const cpuBefore = pids.map(cpuSeconds);
    const resumedAt = Date.now();
    await this.queue!.resume();
    const slowest = Math.min(...channels.map((c) => c.throughputPerSecond));
    const deadline = Date.now() + ((perChannel / slowest) * 3 + 120) * 1000;
    for (;;) {
      const counts = await this.outcomes(channels);
      if (!counts.QUEUED) break;
      if (Date.now() > deadline) throw new Error(`Still QUEUED after the deadline: ${JSON.stringify(counts)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const requests = [...this.requests];
    const lines: ReturnType<typeof printChannelLine>[] = [];
    for (const [i, channel] of channels.entries()) {
      lines.push(printChannelLine(channels.length > 1 ? `channel ${i + 1}` : 'channel', channel, requests, await this.claimTimes(channel)));
    }
    if (channels.length > 1) {
      const all = lines.flatMap((line) => line.times);
      const limit = channels.reduce((sum, c) => sum + c.throughputPerSecond, 0);
      console.log(`  ${'all'.padEnd(10)} ${String(all.length).padStart(5)} sent  ${fixed(rateOf(all)).padStart(5)} msg/s (sum of the limits: ${limit})`);
    }
    const last = Math.max(...lines.flatMap((line) => line.times));
    const seconds = (Date.now() - resumedAt) / 1000;
    const busy = pids.map((pid, i) => `${fixed(((cpuSeconds(pid) - cpuBefore[i]!) / seconds) * 100, 0)}%`).join(' + ');
    console.log(`  ${((last - resumedAt) / 1000).toFixed(1)} s from resuming the queue to the last send; app CPU while sending: ${busy} of one core`);
    return { requests, outcomes: await this.outcomes(channels) };
  }
}

async function main() {
  const messages = option('messages', 2000);
  const channelCount = option('channels', 4);
  const injected = option('errors', 100);
  const bench = new Bench(option('processes', 1));
  const interrupted = () => void bench.stop().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  console.log(
    `send throughput: ${messages} messages per channel, one recipient each, against the fake Graph API; ` +
      `${bench.processes} app process(es) sending, ${os.cpus().length} CPUs`,
  );
  try {
    await bench.start();
    const [single] = await bench.createChannels(1);
    await bench.run(`1 channel, ${messages} messages`, [single!], messages);

    const several = await bench.createChannels(channelCount);
    await bench.run(`${channelCount} channels at once, ${messages} messages each`, several, messages);

    const [faulty] = await bench.createChannels(1);
    const { requests, outcomes } = await bench.run(
      `1 channel, ${messages} messages, with ${injected} x 130429 (throughput) and ${injected} x 131000 (HTTP 500) injected`,
      [faulty!],
      messages,
      () => {
        // Scripted failures are taken in order: the first sends get 130429, the next ones 131000.
        bench.fake!.failNext(130429, { times: injected, phoneNumberId: faulty!.phoneNumberId });
        bench.fake!.failNext(131000, { times: injected, phoneNumberId: faulty!.phoneNumberId });
      },
    );
    const sends = sendsOf(requests, faulty!.phoneNumberId);
    const refused: Record<string, number> = {};
    for (const request of sends.filter((r) => r.wamid === undefined)) {
      const code = String((request.response.body as { error?: { code?: number } }).error?.code ?? request.response.status);
      refused[code] = (refused[code] ?? 0) + 1;
    }
    console.log(`  requests at the fake: ${sends.length} for ${messages} messages -> ${sends.length - messages} retries (refused: ${JSON.stringify(refused)})`);
    console.log(`  requests (accepted or not) in any 1 s: at most ${maxInOneSecond(sends.map((r) => r.at.getTime()))}`);
    console.log(`  final outcomes: SENT ${outcomes.SENT ?? 0}, FAILED ${outcomes.FAILED ?? 0}${Object.keys(outcomes).length > 2 ? ` (all: ${JSON.stringify(outcomes)})` : ''}`);
  } catch (error) {
    console.error(`\nbench failed: ${(error as Error).message}\n(app log: ${bench.logFile})`);
    process.exitCode = 1;
  } finally {
    await bench.stop();
  }
}

void main();
