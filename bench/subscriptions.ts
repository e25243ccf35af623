/**
 * Live feeds benchmark (DESIGN.md section 10, issue 6): many graphql-ws subscribers over many
 * organizations on one api process, fed through the real pipeline, next to bare WebSocket sends
 * measured in the same run.
 *
 *   eval "$(bash scripts/services.sh env)"
 *   SWC_NODE_PROJECT=./tsconfig.build.json node -r @swc-node/register bench/subscriptions.ts [--orgs 1000] [--per-org 10] [--rate 1000]
 *   (needs `ulimit -n` above twice the subscribers)
 *
 * Processes: api #1 (the subscribers' server), a worker (webhook processing), api #2 (a second api
 * process), a bare `ws` server (bench/lib/bare-ws-server.ts), and this one, the load process, which
 * holds every socket. Phases:
 *   A. pipeline: signed inbound webhooks at `--rate` per second (one message each, round robin over the
 *      organizations) -> worker -> Redis -> api #1 -> every subscriber of the organization.
 *   B. second process: agents close and reopen conversations through api #2, and, for comparison,
 *      through api #1, at `--hop-rate`; subscribers stay on api #1.
 *   A2. the same fan-out at `--rate` whatever the pipeline sustains: events of the relay's shape
 *      published on Redis at that rate, latency from Redis to each subscriber.
 *   C. capacity: `--burst` logged events re-published on their organization topics at once; deliveries
 *      per second through api #1, then through the bare server with the same sockets and topics.
 * Delivery latency is measured from when the event appeared on Redis (this process taps the topics)
 * to when a subscriber received it, both on this process's clock. Everything runs in a scratch
 * database and Redis prefix, removed at the end.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import IORedis from 'ioredis';
import { Client } from 'pg';
import WebSocket from 'ws';
import { cpuSeconds, cpuSecondsByName, freePort, serverCpuSeconds, startAppProcess, type AppProcess } from './lib/app-process';
import { RUN_SECRETS, requireEnv, withDatabase } from './lib/bench-env';
import { openLoop, type LoadResult, type Send } from './lib/load';
import { describeSequentialScans, sequentialScans } from './lib/pg-scans';
import { seedHistory } from './lib/seed-history';
import { WebhookPoster } from './lib/webhook-poster';
import { ms, perSecond, summarise } from './lib/stats';

const { values: args } = parseArgs({
  options: {
    orgs: { type: 'string', default: '1000' },
    'per-org': { type: 'string', default: '10' },
    rate: { type: 'string', default: '1000' },
    'hop-rate': { type: 'string', default: '20' },
    duration: { type: 'string', default: '10' },
    /**
     * Seconds of load before each measured window. Phase A's worker starts cold: V8 keeps compiling
     * its code for thousands of messages (bench:flow counted 740 functions optimised, 5.4 s of
     * compiler threads), on the same 2 cores. After 2 s, the first measured seconds often had a p99
     * of 60-100 ms that fell within the window (runs of 66-88 ms); after 8 s, four runs had 18, 69,
     * 28 and 50 ms, the 69 from one stalled second late in its window.
     */
    warmup: { type: 'string', default: '8' },
    burst: { type: 'string', default: '5000' },
    'log-level': { type: 'string', default: 'warn' },
    /** Writes a V8 CPU profile of api #1 to this folder (open it in Chrome DevTools). */
    'cpu-prof': { type: 'string' },
    /** More Node flags for api #1, e.g. "--trace-gc" (its output goes to the app log). */
    'api-node-args': { type: 'string', default: '' },
    /** Skip phases A and B: connect, then measure the bursts only. */
    'burst-only': { type: 'boolean', default: false },
    /** Stop after phase A (the real pipeline). */
    'pipeline-only': { type: 'boolean', default: false },
    /** Runs phase A this many times on the same subscribers: one run's p99 is at the mercy of the host's noise. */
    repeat: { type: 'string', default: '1' },
    /** Closed conversations (5 messages each) stored and analyzed before phase A (bench/lib/seed-history.ts); 0: none. */
    history: { type: 'string', default: '20000' },
  },
});
const ORGS = Number(args.orgs);
const PER_ORG = Number(args['per-org']);
const RATE = Number(args.rate);
const HOP_RATE = Number(args['hop-rate']);
const DURATION_MS = Number(args.duration) * 1000;
const WARMUP_MS = Number(args.warmup) * 1000;
const BURST = Number(args.burst);
const HISTORY = Number(args.history);
const REPEAT = Number(args.repeat);
if (!(Number.isInteger(REPEAT) && REPEAT >= 1)) throw new Error('--repeat: a whole number, 1 or more');
if (!(HISTORY >= 0)) throw new Error('--history: a number of conversations, 0 or more');
const ROOT = path.resolve(__dirname, '..');

/** What an agent's screen asks for. */
const SUBSCRIPTION = `subscription { conversationEvents {
  __typename cursor conversationId at
  ... on MessageReceived { message { id text status } }
  ... on ConversationStatusChanged { status previousStatus }
} }`;

const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` over `items` with at most `concurrency` at once. */
async function pool<T, R>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!, index);
      }
    }),
  );
  return results;
}

const httpAgent = new Agent({ keepAlive: true, maxSockets: 64 });

function post(url: string, pathname: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(body);
    const req = request(
      { agent: httpAgent, host: hostname, port, path: pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': payload.length, ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.once('error', reject);
    req.end(payload);
  });
}

async function graphql(url: string, token: string, query: string, variables: Record<string, unknown> = {}) {
  const { text } = await post(url, '/graphql', JSON.stringify({ query, variables }), { authorization: `Bearer ${token}` });
  const body = JSON.parse(text) as { data?: any; errors?: unknown };
  if (body.errors || !body.data) throw new Error(`GraphQL failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}

interface Org {
  id: string;
  key: string;
  channelId: string;
  phoneNumberId: string;
  wabaId: string;
  waId: string;
  conversationId?: string;
}

let wamidCounter = 0;
function inbound(org: Org, text: string): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: org.wabaId,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550100000', phone_number_id: org.phoneNumberId },
              contacts: [{ profile: { name: 'Customer' }, wa_id: org.waId }],
              messages: [{ from: org.waId, id: `wamid.BENCH${randomUUID().replace(/-/g, '')}${wamidCounter++}`, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: text } }],
            },
          },
        ],
      },
    ],
  });
}

/** One lean poster per api process: this process also times every delivery, so it must stay light. */
const posters = new Map<string, WebhookPoster>();
const webhook = async (url: string, body: string) => {
  let poster = posters.get(url);
  if (!poster) posters.set(url, (poster = new WebhookPoster(url, RUN_SECRETS.META_APP_SECRET, 64)));
  return { status: await poster.post(body) };
};

/** Major garbage collections a process has run so far, from its /metrics (prom-client's default metrics). */
async function majorGcs(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^nodejs_gc_duration_seconds_count\{kind="major"\} (\d+)/m.exec(text)?.[1] ?? NaN);
}

/** Resident set size of a process in MB, from /proc (Linux). */
function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/**
 * Every delivery the load process receives, by kind: counted always; for latency, the cursor is
 * read with a regex (cheaper than parsing) and compared with when the tap saw it on Redis.
 */
class Receiver {
  deliveries = 0;
  /** When the first delivery since the last reset arrived. */
  firstAt = 0;
  latencies: number[] = [];
  /** When each latency sample arrived, to show where in a phase the slow ones fall. */
  arrivals: number[] = [];
  measuring = false;
  readonly seenOnRedis = new Map<string, number>();
  /** Events seen on Redis while measuring. */
  tapped = 0;
  /** Per conversation: when an agent action on it was sent (phase B). */
  readonly actedAt = new Map<string, number>();
  actionLatencies: number[] = [];

  onDelivery(text: string) {
    if (!this.deliveries++) this.firstAt = now();
    if (!this.measuring) return;
    const at = now();
    const cursor = /"cursor":"(\d+)"/.exec(text)?.[1];
    const tapped = cursor ? this.seenOnRedis.get(cursor) : undefined;
    if (tapped !== undefined) {
      this.latencies.push(at - tapped);
      this.arrivals.push(at);
    }
    if (this.actedAt.size && text.includes('"__typename":"ConversationStatusChanged"')) {
      const conversationId = /"conversationId":"([^"]+)"/.exec(text)?.[1];
      const acted = conversationId ? this.actedAt.get(conversationId) : undefined;
      if (acted !== undefined) this.actionLatencies.push(at - acted);
    }
  }

  reset() {
    // Bounded: a map of every event of the run would make this process's own GC pauses part of the figures.
    this.seenOnRedis.clear();
    this.deliveries = 0;
    this.tapped = 0;
    this.latencies = [];
    this.arrivals = [];
    this.actionLatencies = [];
  }
}

/** One agent screen: a raw graphql-transport-ws client (the graphql-ws client library would cost this process more than the server). */
function openSubscriber(url: string, key: string, receiver: Receiver): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    socket.once('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } })));
    socket.on('message', (data) => {
      const text = String(data);
      if (text.startsWith('{"type":"connection_ack"')) {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIPTION } }));
        resolve(socket);
      } else if (text.includes('"type":"next"')) receiver.onDelivery(text);
      else if (!text.includes('"type":"ping"') && !text.includes('"type":"pong"')) console.error(`  unexpected message: ${text.slice(0, 300)}`);
    });
    socket.once('close', (code) => reject(new Error(`subscriber closed with ${code}`)));
  });
}

function openBareSubscriber(url: string, org: string, receiver: Receiver): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'));
    socket.once('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ org })));
    socket.on('message', (data) => {
      const text = String(data);
      if (text === '{"joined":true}') resolve(socket);
      else receiver.onDelivery(text);
    });
  });
}

/** Waits until `expected` deliveries arrived or nothing arrived for `idleMs`; returns deliveries/s from `startedAt`. */
async function drain(receiver: Receiver, expected: number, startedAt: number, idleMs = 3000): Promise<{ delivered: number; perSecond: number }> {
  let last = receiver.deliveries;
  let lastChange = now();
  let lastAt = now();
  while (receiver.deliveries < expected && now() - lastChange < idleMs) {
    await sleep(5);
    if (receiver.deliveries !== last) {
      last = receiver.deliveries;
      lastChange = lastAt = now();
    }
  }
  if (receiver.deliveries >= expected) lastAt = now();
  return { delivered: receiver.deliveries, perSecond: receiver.deliveries / ((lastAt - startedAt) / 1000) };
}

/** Waits until nothing has been delivered for a second: the previous phase's tail is over. */
async function quiet(receiver: Receiver) {
  for (let last = -1; receiver.deliveries !== last; await sleep(1000)) last = receiver.deliveries;
}

/** The p99 latency of each second of the measurement, in order: a stall shows as one high second, a saturated machine as many. */
function p99BySecond(receiver: Receiver): string[] {
  const start = receiver.arrivals[0] ?? 0;
  const seconds: number[][] = [];
  receiver.arrivals.forEach((at, i) => (seconds[Math.floor((at - start) / 1000)] ??= []).push(receiver.latencies[i]!));
  return Array.from(seconds, (samples) => (samples?.length ? summarise(samples).p99.toFixed(0) : '-'));
}

/** Events that appeared on Redis in each second of p99BySecond: above the offered rate, the pipeline was catching up (and publishing in bigger bursts). */
function eventsBySecond(receiver: Receiver): number[] {
  const start = receiver.arrivals[0] ?? 0;
  const counts: number[] = [];
  for (const at of receiver.seenOnRedis.values()) {
    const second = Math.floor((at - start) / 1000);
    if (second >= 0) counts[second] = (counts[second] ?? 0) + 1;
  }
  return Array.from(counts, (count) => count ?? 0);
}

function reportLatency(label: string, samples: number[]) {
  const summary = summarise(samples);
  console.log(`  ${label.padEnd(46)} p50 ${ms(summary.p50).padStart(9)}   p99 ${ms(summary.p99).padStart(9)}   max ${ms(summary.max).padStart(9)}   (${summary.count.toLocaleString('en-US')} samples)`);
  return summary;
}

async function main() {
  const adminUrl = requireEnv('DATABASE_URL');
  const redisUrl = requireEnv('REDIS_URL');
  const database = `wa_bench_${randomBytes(5).toString('hex')}`;
  const databaseUrl = withDatabase(adminUrl, database);
  const prefix = `bench${randomBytes(4).toString('hex')}`;
  const logFile = path.join(tmpdir(), `${database}.log`);
  const env = {
    ...RUN_SECRETS,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: '10',
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    LOG_LEVEL: args['log-level']!,
    RATE_LIMIT_PER_MINUTE: '1000000',
    LIVE_MAX_CONNECTIONS_PER_KEY: String(PER_ORG * 2),
    // Creating a channel queues a template sync: keep it off the network (it fails at once, harmlessly).
    META_GRAPH_URL: 'http://127.0.0.1:9/v25.0',
  };
  const subscribers = ORGS * PER_ORG;
  console.log(`live feeds: ${subscribers.toLocaleString('en-US')} subscribers (${PER_ORG} in each of ${ORGS} organizations); app logs ${logFile}`);

  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${database}`);
  const processes: AppProcess[] = [];
  const sockets: WebSocket[] = [];
  const tap = new IORedis(redisUrl);
  const publisher = new IORedis(redisUrl);
  let bare: ReturnType<typeof spawn> | undefined;
  const db = new Client({ connectionString: databaseUrl });
  try {
    const profile = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args['cpu-prof'])}`] : [];
    const api = await startAppProcess({ ...env, ROLE: 'api' }, logFile, [...profile, ...args['api-node-args']!.split(' ').filter(Boolean)]);
    processes.push(api);
    const worker = await startAppProcess({ ...env, ROLE: 'worker' }, logFile);
    processes.push(worker);
    const second = await startAppProcess({ ...env, ROLE: 'api' }, logFile);
    processes.push(second);
    await db.connect();

    // Organizations, each with a channel and one customer whose conversation is open.
    let setupAt = now();
    const orgs = await pool(Array.from({ length: ORGS }, (_, i) => i), 16, async (i): Promise<Org> => {
      const created = await graphql(api.url, RUN_SECRETS.ADMIN_TOKEN, 'mutation ($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } secret } }', {
        input: { name: `Bench ${i}` },
      });
      const phoneNumberId = `7${String(i).padStart(9, '0')}${randomBytes(3).toString('hex').replace(/\D/g, '1')}`;
      const wabaId = `9${phoneNumberId}`;
      const { createChannel } = await graphql(api.url, created.createOrganization.secret, 'mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } } }', {
        input: { phoneNumberId, wabaId, displayPhoneNumber: '+1 555 010 0000', accessToken: 'EAAG-bench' },
      });
      const org: Org = {
        id: created.createOrganization.organization.id,
        key: created.createOrganization.secret,
        channelId: createChannel.channel.id,
        phoneNumberId,
        wabaId,
        waId: `5511${String(i).padStart(9, '0')}`,
      };
      await webhook(api.url, inbound(org, 'hello'));
      return org;
    });
    for (;;) {
      const rows = (await db.query('select organization_id, id from conversation')).rows as { organization_id: string; id: string }[];
      if (rows.length >= ORGS) {
        const byOrg = new Map(rows.map((row) => [row.organization_id, row.id]));
        for (const org of orgs) org.conversationId = byOrg.get(org.id);
        break;
      }
      await sleep(200);
    }
    console.log(`  set up ${ORGS} organizations in ${((now() - setupAt) / 1000).toFixed(1)} s`);
    if (HISTORY) {
      const seededAt = now();
      await seedHistory(db, orgs.map((org) => ({ organizationId: org.id, channelId: org.channelId })), { conversations: HISTORY, messagesEach: 5 });
      console.log(`  history: ${HISTORY.toLocaleString('en-US')} closed conversations with ${(HISTORY * 5).toLocaleString('en-US')} messages, analyzed (${((now() - seededAt) / 1000).toFixed(1)} s)`);
    } else console.log('  history: none (--history 0), an empty database');

    // The tap: when each event appeared on Redis.
    const receiver = new Receiver();
    await tap.psubscribe(`${prefix}:events:org:*`);
    tap.on('pmessage', (_pattern: string, _channel: string, message: string) => {
      // PostgreSQL writes the relay's JSON with spaces around the colon.
      const cursor = /"cursor" ?: ?"(\d+)"/.exec(message)?.[1];
      if (cursor) receiver.seenOnRedis.set(cursor, now());
      if (receiver.measuring) receiver.tapped += 1;
    });

    setupAt = now();
    const connected = await pool(Array.from({ length: subscribers }, (_, i) => orgs[i % ORGS]!), 200, (org) => openSubscriber(api.url, org.key, receiver));
    sockets.push(...connected);
    await sleep(2000); // subscribe messages are answered by nothing: give the server time to register them
    const rssIdle = rssMb(api.process.pid!);
    console.log(`  connected ${subscribers.toLocaleString('en-US')} subscribers in ${((now() - setupAt) / 1000).toFixed(1)} s; api #1 RSS ${rssIdle.toFixed(0)} MB`);

    // Who is busy in phase A: on two cores, the pipeline's processes and this one share the machine.
    const pipelineCpu = (): Record<string, number> => ({
      'api #1': cpuSeconds(api.process.pid!),
      worker: cpuSeconds(worker.process.pid!),
      postgres: serverCpuSeconds('postgres'),
      redis: cpuSecondsByName('redis-server'),
      load: ((usage) => (usage.user + usage.system) / 1e6)(process.cpuUsage()),
    });
    const busySince = (before: Record<string, number>, seconds: number) => {
      const after = pipelineCpu();
      return Object.keys(after)
        .map((name) => `${name} ${(((after[name]! - before[name]!) / seconds) * 100).toFixed(0)}%`)
        .join(', ');
    };

    // A. The real pipeline at RATE events/s, `--repeat` times over the same subscribers.
    let n = 0;
    let rssPeak = rssIdle;
    const pipelineSamples: number[] = [];
    const pipelineP99s: number[] = [];
    for (let repetition = 1; repetition <= REPEAT; repetition++) {
      if (repetition > 1) await quiet(receiver);
      const sendInbound: Send = async () => (await webhook(api.url, inbound(orgs[n++ % ORGS]!, `message ${n}`))).status;
      const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(api.process.pid!))), 250);
      receiver.reset();
      const scansBefore = await sequentialScans(db);
      // Read before the load starts, so the scrape's work on api #1 is not part of the measured window.
      const gcsBefore = await majorGcs(api.url);
      const started = now();
      let pipelineCpuBefore = pipelineCpu();
      // This process timestamps every delivery: when its own event loop lags, the latencies include that lag.
      const loadLoopDelay = monitorEventLoopDelay({ resolution: 5 });
      // Each process's CPU in each measured second, next to that second's p99: which process a slow second was busy in.
      const cpuBySecond: Record<string, number>[] = [];
      let cpuSampler: NodeJS.Timeout | undefined;
      setTimeout(() => {
        let last = pipelineCpu();
        cpuSampler = setInterval(() => {
          const current = pipelineCpu();
          cpuBySecond.push(Object.fromEntries(Object.keys(current).map((name) => [name, (current[name]! - last[name]!) * 100])));
          last = current;
        }, 1000);
        receiver.reset();
        receiver.measuring = true;
        pipelineCpuBefore = pipelineCpu();
        loadLoopDelay.enable();
      }, WARMUP_MS);
      const load: LoadResult = await openLoop(sendInbound, RATE, DURATION_MS, WARMUP_MS);
      const pipelineBusy = busySince(pipelineCpuBefore, (now() - started - WARMUP_MS) / 1000);
      // The pipeline's tail: every accepted webhook processed (at most three minutes more).
      for (const deadline = now() + 180_000; now() < deadline; await sleep(200)) {
        const backlog = Number((await db.query(`select count(*) as n from webhook_delivery where status = 'RECEIVED'`)).rows[0].n);
        if (!backlog) break;
      }
      await sleep(500);
      receiver.measuring = false;
      clearInterval(cpuSampler);
      clearInterval(rssTimer);
      const measuredSeconds = (now() - started - WARMUP_MS) / 1000;
      console.log(`\n  A. inbound webhooks -> worker -> Redis -> api #1, ${RATE}/s offered for ${DURATION_MS / 1000} s${REPEAT > 1 ? ` (run ${repetition} of ${REPEAT})` : ''}`);
      console.log(`  ${'webhooks accepted'.padEnd(46)} ${perSecond(load.okPerSecond).padStart(9)}   ack p99 ${ms(load.latency.p99)}`);
      console.log(`  ${'events through the pipeline (until drained)'.padEnd(46)} ${perSecond(receiver.tapped / measuredSeconds).padStart(9)}   over ${measuredSeconds.toFixed(1)} s`);
      const repetitionLatency = reportLatency('delivery latency (Redis -> subscriber)', receiver.latencies);
      for (const sample of receiver.latencies) pipelineSamples.push(sample);
      pipelineP99s.push(repetitionLatency.p99);
      console.log(`  ${'p99 by second (ms)'.padEnd(46)} ${p99BySecond(receiver).join(' ')}`);
      console.log(`  ${'events on Redis by second'.padEnd(46)} ${eventsBySecond(receiver).join(' ')}`);
      for (const name of ['api #1', 'worker', 'postgres']) {
        console.log(`  ${`${name} CPU by second (% of a core)`.padEnd(46)} ${cpuBySecond.map((second) => second[name]!.toFixed(0)).join(' ')}`);
      }
      console.log(`  ${'deliveries'.padEnd(46)} ${perSecond(receiver.deliveries / measuredSeconds).padStart(9)}`);
      console.log(`  ${'CPU busy while offered (% of a core)'.padEnd(46)} ${pipelineBusy}`);
      loadLoopDelay.disable();
      console.log(`  ${'event-loop delay of this (load) process'.padEnd(46)} p99 ${ms(loadLoopDelay.percentile(99) / 1e6)}   max ${ms(loadLoopDelay.max / 1e6)}`);
      console.log(`  ${'sequential scans'.padEnd(46)} ${describeSequentialScans(scansBefore, await sequentialScans(db), load.answered)}`);
      console.log(`  ${'api #1 RSS (idle / peak)'.padEnd(46)} ${rssIdle.toFixed(0)} MB / ${rssPeak.toFixed(0)} MB`);
      console.log(`  ${'api #1 full collections (warm-up included)'.padEnd(46)} ${(await majorGcs(api.url)) - gcsBefore}`);
    }
    const pipelineLatency = summarise(pipelineSamples);
    if (REPEAT > 1) {
      const sorted = [...pipelineP99s].sort((x, y) => x - y);
      console.log(`\n  ${'phase A p99 by run (ms)'.padEnd(46)} ${pipelineP99s.map((value) => value.toFixed(1)).join(' ')}`);
      console.log(`  ${'phase A p99, median run / all runs pooled'.padEnd(46)} ${ms(sorted[Math.floor((sorted.length - 1) / 2)]!)} / ${ms(pipelineLatency.p99)}`);
    }
    if (args['pipeline-only']) return;

    // B. Events produced by api #2 (and, to compare, by api #1), subscribers on api #1.
    await quiet(receiver);
    console.log(`\n  B. agents close and reopen conversations at ${HOP_RATE}/s; latency from the mutation sent to the event received on api #1`);
    const hop: Record<string, number> = {};
    // Which conversations are closed now: an action that changes nothing publishes nothing.
    const closed = new Set<string>();
    const producers = [
      ['through api #1 (same process)', api],
      ['through api #2 (across processes)', second],
      ['through api #1 again', api],
    ] as const;
    for (const [label, target] of args['burst-only'] ? [] : producers) {
      let k = 0;
      const act: Send = async () => {
        const org = orgs[k++ % ORGS]!;
        const id = org.conversationId!;
        const mutation = closed.has(id) ? 'reopenConversation' : 'closeConversation';
        if (mutation === 'closeConversation') closed.add(id);
        else closed.delete(id);
        receiver.actedAt.set(id, now());
        const { status } = await post(target.url, '/graphql', JSON.stringify({ query: `mutation ($input: ConversationInput!) { ${mutation}(input: $input) { conversation { id } } }`, variables: { input: { conversationId: id } } }), {
          authorization: `Bearer ${org.key}`,
        });
        return status;
      };
      // Each process serves a few unmeasured seconds first: api #2 has not answered anything yet.
      receiver.reset();
      setTimeout(() => {
        receiver.reset();
        receiver.measuring = true;
      }, WARMUP_MS);
      await openLoop(act, HOP_RATE, DURATION_MS / 2, WARMUP_MS);
      await quiet(receiver);
      receiver.measuring = false;
      hop[label] = reportLatency(label, receiver.actionLatencies).p50;
      receiver.actedAt.clear();
    }

    // C. Capacity: a burst of logged events re-published on their topics, through api #1 and through bare ws.
    // Feeds deliver only cursors after the last they delivered (live events come in cursor order),
    // so each burst gets fresh cursors past the log's end, rising in publish order, and carries its
    // message row, like the relay's.
    const logged = (
      await db.query(
        `select e.organization_id, e.conversation_id, e.type, e.data, e.created_at, to_jsonb(m) as message
           from conversation_event e join message m on m.id = (e.data->>'messageId')::uuid
          where e.type = 'MESSAGE_RECEIVED' order by e.id desc limit $1`,
        [BURST],
      )
    ).rows as { organization_id: string; conversation_id: string; type: string; data: unknown; created_at: Date; message: unknown }[];
    let nextCursor = BigInt((await db.query(`select coalesce(max(seq), 0)::text as top from conversation_event`)).rows[0].top) + 1_000_000n;
    const burstMessages = () =>
      logged.map((row) => ({
        topic: `${prefix}:events:org:${row.organization_id}`,
        body: JSON.stringify({ kind: 'conversation', organizationId: row.organization_id, conversationId: row.conversation_id, cursor: String(nextCursor++), type: row.type, data: row.data, at: row.created_at.toISOString(), message: row.message }),
      }));
    const messages = burstMessages();

    // A2. The fan-out at the target rate, whatever the pipeline sustains: RATE events/s of the relay's
    // shape published on Redis for the same duration, latency from Redis to each subscriber.
    await quiet(receiver);
    let published = 0;
    const publishOne: Send = async () => {
      const row = logged[published++ % logged.length]!;
      const body = JSON.stringify({ kind: 'conversation', organizationId: row.organization_id, conversationId: row.conversation_id, cursor: String(nextCursor++), type: row.type, data: row.data, at: row.created_at.toISOString(), message: row.message });
      await publisher.publish(`${prefix}:events:org:${row.organization_id}`, body);
      return 200;
    };
    receiver.reset();
    setTimeout(() => {
      receiver.reset();
      receiver.measuring = true;
    }, WARMUP_MS);
    // Who was busy: this process measures both ends, so its own load shows in the latency too.
    const [loadCpuBefore, apiCpuBefore, workerCpuBefore, a2Start] = [process.cpuUsage(), cpuSeconds(api.process.pid!), cpuSeconds(worker.process.pid!), now()];
    await openLoop(publishOne, RATE, DURATION_MS, WARMUP_MS);
    const loadCpu = process.cpuUsage(loadCpuBefore);
    const a2Seconds = (now() - a2Start) / 1000;
    const apiBusy = (cpuSeconds(api.process.pid!) - apiCpuBefore) / a2Seconds;
    const workerBusy = (cpuSeconds(worker.process.pid!) - workerCpuBefore) / a2Seconds;
    await quiet(receiver);
    receiver.measuring = false;
    console.log(`\n  A2. ${RATE} events/s published on Redis for ${DURATION_MS / 1000} s (the relay's shape), subscribers on api #1`);
    const loadBusy = (loadCpu.user + loadCpu.system) / 1e6 / a2Seconds;
    const percent = (busy: number) => `${(busy * 100).toFixed(0)}%`;
    console.log(`  ${'CPU busy: api #1 / load process / worker'.padEnd(46)} ${percent(apiBusy).padStart(9)} / ${percent(loadBusy)} / ${percent(workerBusy)} of a core`);
    const targetLatency = reportLatency('delivery latency (Redis -> subscriber)', receiver.latencies);
    console.log(`  ${'p99 by second (ms)'.padEnd(46)} ${p99BySecond(receiver).join(' ')}`);
    console.log(`  ${'deliveries'.padEnd(46)} ${perSecond(receiver.latencies.length / (DURATION_MS / 1000)).padStart(9)}`);
    /** `server` is the process sending to the sockets: its CPU time per delivery is printed too (the machine is shared, so wall time is noisy). */
    const burst = async (label: string, server: number) => {
      await quiet(receiver);
      await sleep(4500); // past the result cache's lifetime: every event is executed afresh
      receiver.reset();
      const cpuBefore = cpuSeconds(server);
      const startedAt = now();
      const pipeline = publisher.pipeline();
      for (const message of burstMessages()) pipeline.publish(message.topic, message.body);
      await pipeline.exec();
      const result = await drain(receiver, messages.length * PER_ORG, startedAt);
      const cpuPerDelivery = ((cpuSeconds(server) - cpuBefore) * 1e6) / Math.max(1, result.delivered);
      console.log(
        `  ${label.padEnd(46)} ${perSecond(result.perSecond).padStart(9)}   (${result.delivered.toLocaleString('en-US')} of ${(messages.length * PER_ORG).toLocaleString('en-US')}; the first after ${ms(receiver.firstAt - startedAt)}; server CPU ${cpuPerDelivery.toFixed(1)} µs per delivery)`,
      );
      return result.perSecond;
    };
    console.log(`\n  C. a burst of ${messages.length.toLocaleString('en-US')} events (${(messages.length * PER_ORG).toLocaleString('en-US')} deliveries) published at once`);
    const ours = [await burst('api #1: graphql-ws, shared executions', api.process.pid!), await burst('api #1: again', api.process.pid!)];
    for (const socket of sockets.splice(0)) socket.terminate();
    await sleep(1000);

    const barePort = await freePort();
    bare = spawn(process.execPath, ['-r', '@swc-node/register', 'bench/lib/bare-ws-server.ts'], {
      cwd: ROOT,
      env: { ...process.env, SWC_NODE_PROJECT: './tsconfig.build.json', REDIS_URL: redisUrl, REDIS_PREFIX: prefix, PORT: String(barePort) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => bare!.stdout!.once('data', () => resolve()));
    const bareUrl = `http://127.0.0.1:${barePort}`;
    sockets.push(...(await pool(Array.from({ length: subscribers }, (_, i) => orgs[i % ORGS]!), 200, (org) => openBareSubscriber(bareUrl, org.id, receiver))));
    const baseline = [await burst('bare ws: the same sockets and topics', bare.pid!), await burst('bare ws: again', bare.pid!)];

    const best = (values: number[]) => Math.max(...values);
    console.log('\n  summary');
    console.log(`  ${'delivery p99 at the pipeline rate'.padEnd(46)} ${ms(pipelineLatency.p99).padStart(9)}   (target under 50 ms)`);
    console.log(`  ${`delivery p99 at ${RATE} events/s published`.padEnd(46)} ${ms(targetLatency.p99).padStart(9)}   (target under 50 ms)`);
    console.log(`  ${'api #1 RSS peak'.padEnd(46)} ${`${rssPeak.toFixed(0)} MB`.padStart(9)}   (target under 1 GB)`);
    console.log(`  ${'deliveries/s, ours / bare ws'.padEnd(46)} ${perSecond(best(ours)).padStart(9)} / ${perSecond(best(baseline))} = ${(best(ours) / best(baseline)).toFixed(2)}   (target at least 0.5)`);
    const hopCost = (hop['through api #2 (across processes)'] ?? NaN) - ((hop['through api #1 (same process)'] ?? NaN) + (hop['through api #1 again'] ?? NaN)) / 2;
    console.log(`  ${'cross-process hop (p50 difference)'.padEnd(46)} ${ms(hopCost).padStart(9)}   (target under 5 ms)`);
    console.log(`  load average ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);
  } finally {
    for (const socket of sockets) socket.terminate();
    bare?.kill('SIGTERM');
    tap.disconnect();
    publisher.disconnect();
    await db.end().catch(() => undefined);
    await Promise.all(processes.map((process) => process.stop()));
    await admin.query(`drop database if exists ${database} with (force)`).catch(() => undefined);
    await admin.end();
    const redis = new IORedis(redisUrl);
    for (const pattern of [`${prefix}:*`, `{${prefix}}:*`]) {
      const stream = redis.scanStream({ match: pattern, count: 500 });
      for await (const keys of stream as AsyncIterable<string[]>) if (keys.length) await redis.unlink(...keys);
    }
    redis.disconnect();
    httpAgent.destroy();
    for (const poster of posters.values()) poster.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
