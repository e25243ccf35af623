/**
 * End to end through a flow (issue 5, point 7; DESIGN.md section 10): many simulated customers
 * chat with a published flow at once. Each message is a signed webhook POST; the app ingests it,
 * runs the engine inside inbound processing and queues the reply, which the send worker delivers
 * to the fake Graph API.
 *
 *   eval "$(bash scripts/services.sh env)" && npm run bench:flow [-- --customers 2000 --messages 3 --rate 1000 --workers 1 --pg private]
 *
 * The app runs as child processes (`src/main.ts`): one api process (ROLE=api: webhook and GraphQL)
 * and `--workers` worker processes (ROLE=worker), on a scratch database and Redis prefix removed
 * at the end. The fake Graph API and the load generator run in this process; the fake is
 * unlimited and each channel's throughputPerSecond is raised to 1,000 (Meta's highest tier).
 *
 * Numbers: the customers are spread over `--numbers` channels of one organization (2 by default).
 * Meta's throughput tier counts a number's incoming and outgoing messages together, so 1,000
 * customer messages a second, each answered, is 2,000 messages a second: two numbers at the top
 * tier. On one number the replies would also meet our own send governor, which admits at most a
 * channel's limit per 1.2 s (833 replies/s at 1,000): that measures the limit, not the engine.
 *
 * Load: open loop at `--rate` messages/s. Customers take turns, so one customer's messages are
 * customers/rate seconds apart (2 s at the defaults) and each customer sends `--messages` (at most
 * 6: Meta's pair limit lets a burst of 6 through, then one message every 6 s; more would measure
 * that limit, not us). Every message gets exactly one reply: the flow asks with buttons, then a
 * question, then ends. Before the measured run, `--warm-up` other customers (1,000 by default) go
 * through the same flow the same way, so that the figures are those of a running service, not of
 * processes compiling their code.
 *
 * PostgreSQL: by default a throwaway server with default durability (fsync on; the development
 * server runs with fsync off), whose processes alone are counted as `postgres` CPU, so other work
 * on the machine does not blur the figure; `--pg shared` uses DATABASE_URL.
 *
 * Figures: inbound processed/s (rows stored, by the time of the transaction that stored each) and
 * replies accepted/s (the fake's own request log) over the busiest stretch, overall totals, and
 * reply latency: from the start of the webhook POST to the fake receiving the reply for that
 * customer (p50, p99, max).
 * Also the CPU seconds each process used, to see where the time goes. `--profile DIR` writes V8
 * CPU profiles of the app processes to DIR (`.cpuprofile`: open them in Chrome DevTools).
 * `--statements N` lists the N statements PostgreSQL spent the most time on, with calls per message,
 * and the commits per message.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { FakeGraphApi } from '../src/devtools/fake-graph';
import { RUN_SECRETS, graphql, requireEnv, withDatabase } from './lib/bench-env';
import { describeSequentialScans, sequentialScans } from './lib/pg-scans';
import { seedHistory } from './lib/seed-history';
import { cpuSeconds, cpuSecondsByName, processTreeCpuSeconds, serverCpuSeconds, startAppProcess, type AppProcess } from './lib/app-process';
import { startPrivatePostgres, type PrivatePostgres } from './lib/private-postgres';
import { ms, perSecond, summarise } from './lib/stats';
import { WebhookPoster } from './lib/webhook-poster';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '2000' },
    messages: { type: 'string', default: '3' },
    rate: { type: 'string', default: '1000' },
    workers: { type: 'string', default: '1' },
    /** Channels (phone numbers) the customers are spread over, each at Meta's top tier (see above). */
    numbers: { type: 'string', default: '2' },
    profile: { type: 'string' },
    /** Print the N statements PostgreSQL spent the most time on (pg_stat_statements; private PostgreSQL only). */
    statements: { type: 'string' },
    'log-level': { type: 'string', default: 'warn' },
    /** private: a throwaway PostgreSQL with default durability (fsync on), its CPU counted alone; shared: DATABASE_URL as it is. */
    pg: { type: 'string', default: 'private' },
    /** Closed conversations (5 messages each) stored and analyzed before the run (bench/lib/seed-history.ts); 0: an empty database. */
    history: { type: 'string', default: '20000' },
    /**
     * Customers who chat through the flow before the measured run (0: none). A fresh process spends
     * its first thousands of messages compiling: V8 optimised 740 functions of the worker in a run
     * from cold, 5.4 s of compiler threads, next to the 12 s its main thread used.
     */
    'warm-up': { type: 'string', default: '1000' },
  },
});
const CUSTOMERS = Number(args.customers);
const MESSAGES = Number(args.messages);
const RATE = Number(args.rate);
const WORKERS = Number(args.workers);
const NUMBERS = Number(args.numbers);
const HISTORY = Number(args.history);
const WARM_UP = Number(args['warm-up']);
if (!(CUSTOMERS >= 1 && MESSAGES >= 1 && MESSAGES <= 3 && RATE > 0 && WORKERS >= 1 && Number.isInteger(NUMBERS) && NUMBERS >= 1 && HISTORY >= 0 && WARM_UP >= 0)) {
  throw new Error('--customers >= 1, --messages 1 to 3 (the flow has three steps), --rate > 0, --workers >= 1, --numbers a whole number >= 1, --history >= 0, --warm-up >= 0');
}

const GRAPH_VERSION = 'v25.0';
/** Three steps, one reply each: buttons, a validated question, a condition then the end. */
const FLOW = {
  start: 'welcome',
  nodes: [
    {
      id: 'welcome', type: 'message', text: 'Hi {{contact.name}}! How can we help?',
      buttons: [{ id: 'sales', title: 'Sales', next: 'ask_email' }, { id: 'support', title: 'Support', next: 'agent' }],
    },
    { id: 'ask_email', type: 'question', text: 'What is your email?', validate: { kind: 'email' }, saveAs: 'email', next: 'route' },
    { id: 'route', type: 'condition', branches: [{ when: { var: 'email', op: 'contains', value: '@bigco.com' }, next: 'agent' }], else: 'thanks' },
    { id: 'agent', type: 'handoff', text: 'Connecting you to a person...' },
    { id: 'thanks', type: 'end', text: 'Thanks, we will write to {{email}} soon.' },
  ],
};

if (args.pg !== 'private' && args.pg !== 'shared') throw new Error('--pg is private or shared');
/** Set in main() when the run has its own PostgreSQL. */
let privatePg: PrivatePostgres | undefined;
const adminUrl = () => privatePg?.url ?? requireEnv('DATABASE_URL');

const databaseUrl = (name: string) => withDatabase(adminUrl(), name);

async function admin(sql: string) {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// CPU accounting: where the time goes

interface CpuSnapshot {
  [label: string]: number;
}

function cpuSnapshot(processes: { label: string; app: AppProcess }[]): CpuSnapshot {
  const snapshot: CpuSnapshot = { 'bench (load + fake Graph API)': process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 };
  for (const { label, app } of processes) snapshot[label] = cpuSeconds(app.process.pid!);
  snapshot.postgres = privatePg ? processTreeCpuSeconds(privatePg.pid()) : serverCpuSeconds('postgres');
  snapshot['redis-server'] = cpuSecondsByName('redis-server');
  return snapshot;
}

// ---------------------------------------------------------------------------------------------
// Figures

/** The highest rate over any `windowMs` of the sorted times, and the overall rate first to last. */
function rates(sortedTimes: number[], windowMs: number): { busiest: number; overall: number } {
  let busiest = 0;
  let start = 0;
  for (let end = 0; end < sortedTimes.length; end++) {
    while (sortedTimes[end]! - sortedTimes[start]! >= windowMs) start++;
    busiest = Math.max(busiest, ((end - start + 1) * 1000) / windowMs);
  }
  const span = sortedTimes.at(-1)! - sortedTimes[0]!;
  return { busiest, overall: span > 0 ? ((sortedTimes.length - 1) * 1000) / span : NaN };
}

/** Rate over the middle of a run: from the 10th to the 90th percentile of the events, so warm-up and tail do not count. */
function sustainedRate(sortedTimes: number[]): number {
  const from = Math.floor(sortedTimes.length * 0.1);
  const to = Math.ceil(sortedTimes.length * 0.9) - 1;
  const span = sortedTimes[to]! - sortedTimes[from]!;
  return span > 0 ? ((to - from) * 1000) / span : NaN;
}

/**
 * `--cpu-prof` is not allowed in NODE_OPTIONS, so the app processes preload this instead: it
 * profiles through the inspector and writes the profile when the process exits (SIGTERM drains,
 * then exits). An in-process inspector session answers synchronously, so the exit hook can write.
 */
function profilerPreload(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(os.tmpdir(), `flow-bench-profiler-${process.pid}.js`);
  writeFileSync(
    file,
    `const inspector = require('node:inspector');
const fs = require('node:fs');
const session = new inspector.Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 500 });
session.post('Profiler.start');
process.on('exit', () => {
  session.post('Profiler.stop', (error, result) => {
    if (!error) fs.writeFileSync(${JSON.stringify(dir)} + '/' + (process.env.ROLE || 'app') + '-' + process.pid + '.cpuprofile', JSON.stringify(result.profile));
  });
});
`,
  );
  return file;
}

/**
 * When each inbound message of the run was stored: its row's created_at, the time of the transaction
 * that wrote it, read once the run is over. Counting the rows every 200 ms while the run went on
 * cost PostgreSQL about 10 ms a count, 6% of its CPU in the run, taken from the pipeline measured.
 */
async function inboundStoredTimes(db: Client, organizationId: string, since: Date): Promise<number[]> {
  const { rows } = await db.query<{ at: number }>(
    `select extract(epoch from created_at) * 1000 as at from message where organization_id = $1 and created_at >= $2 and direction = 'IN' order by created_at`,
    [organizationId, since],
  );
  return rows.map((row) => Number(row.at));
}

/** Conversation log events so far, by type. */
async function eventCounts(db: Client): Promise<Map<string, number>> {
  const { rows } = await db.query<{ type: string; n: number }>('select type, count(*)::int as n from conversation_event group by type');
  return new Map(rows.map((row) => [row.type, row.n]));
}

/** Transactions committed in the current database so far. */
async function commitCount(db: Client): Promise<number> {
  const { rows } = await db.query<{ n: string }>('select xact_commit as n from pg_stat_database where datname = current_database()');
  return Number(rows[0]!.n);
}

/** The statements PostgreSQL spent the most time on during the run, per message. */
async function printStatements(db: Client, top: number, messages: number) {
  const { rows } = await db.query<{ query: string; calls: string; total: number; mean: number; plan: number }>(
    `select query, calls, total_exec_time as total, mean_exec_time as mean, mean_plan_time as plan
       from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
      order by total_exec_time desc limit $1`,
    [top],
  );
  const { rows: all } = await db.query<{ calls: string; total: number; plan: number }>(
    `select sum(calls) as calls, sum(total_exec_time) as total, sum(total_plan_time) as plan from pg_stat_statements
      where dbid = (select oid from pg_database where datname = current_database())`,
  );
  console.log(
    `  statements: ${(Number(all[0]!.calls) / messages).toFixed(1)} per message, ${(all[0]!.total / messages).toFixed(2)} ms of execution ` +
      `and ${(all[0]!.plan / messages).toFixed(2)} ms of planning per message (waits for locks count as execution); the top ${top} by execution:`,
  );
  console.log('    per msg   mean ms   plan ms   total s   statement');
  for (const row of rows) {
    const text = row.query.replace(/\s+/g, ' ').slice(0, 140);
    console.log(
      `    ${(Number(row.calls) / messages).toFixed(2).padStart(7)}   ${row.mean.toFixed(3).padStart(7)}   ${row.plan.toFixed(3).padStart(7)}   ${(row.total / 1000).toFixed(2).padStart(7)}   ${text}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  if (args.statements && args.pg !== 'private') throw new Error('--statements needs the private PostgreSQL');
  if (args.pg === 'private') privatePg = await startPrivatePostgres({ statementStats: Boolean(args.statements) });
  const databaseName = `wa_bench_flow_${randomBytes(4).toString('hex')}`;
  const prefix = `bflow${randomBytes(4).toString('hex')}`;
  const logFile = path.join(os.tmpdir(), `${prefix}.log`);
  await admin(`CREATE DATABASE ${databaseName}`);
  const fake = await FakeGraphApi.start();
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: args['log-level']!,
    DATABASE_URL: databaseUrl(databaseName),
    REDIS_URL: requireEnv('REDIS_URL'),
    REDIS_PREFIX: prefix,
    META_GRAPH_URL: `${fake.url}/${GRAPH_VERSION}`,
    ...RUN_SECRETS,
    ...(args.profile ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${profilerPreload(path.resolve(args.profile))}`.trim() } : {}),
  };
  const processes: { label: string; app: AppProcess }[] = [];
  const db = new Client({ connectionString: databaseUrl(databaseName) });
  const posters: WebhookPoster[] = [];
  try {
    processes.push({ label: 'api', app: await startAppProcess({ ...env, ROLE: 'api' }, logFile) });
    for (let i = 1; i <= WORKERS; i++) processes.push({ label: `worker ${i}`, app: await startAppProcess({ ...env, ROLE: 'worker' }, logFile) });
    const api = processes[0]!.app;
    await db.connect();

    const org = await graphql(api.url, RUN_SECRETS.ADMIN_TOKEN, 'mutation ($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } secret } }', {
      input: { name: 'Flow bench' },
    });
    const key: string = org.createOrganization.secret;
    const organizationId: string = org.createOrganization.organization.id;
    const wabaId = `9${Date.now()}`;
    const numbers: { phoneNumberId: string; display: string; channelId: string }[] = [];
    for (let i = 0; i < NUMBERS; i++) {
      const phoneNumberId = `1${Date.now()}${i}`;
      const display = `+1 555 010 ${String(i).padStart(4, '0')}`;
      const { createChannel } = await graphql(api.url, key, 'mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } } }', {
        input: { phoneNumberId, wabaId, displayPhoneNumber: display, accessToken: `EAAG-bench-${phoneNumberId}` },
      });
      numbers.push({ phoneNumberId, display, channelId: createChannel.channel.id });
    }
    const seededAt = performance.now();
    // The history is a business in service: on its first number, as its older conversations would be.
    await seedHistory(db, [{ organizationId, channelId: numbers[0]!.channelId }], { conversations: HISTORY, messagesEach: 5 });
    console.log(
      HISTORY
        ? `history: ${HISTORY.toLocaleString('en-US')} closed conversations with ${(HISTORY * 5).toLocaleString('en-US')} messages, analyzed (${((performance.now() - seededAt) / 1000).toFixed(1)} s)`
        : 'history: none (--history 0), an empty database',
    );
    for (const number of numbers) fake.registerNumber(number.phoneNumberId, { wabaId, displayPhoneNumber: number.display });
    const { createFlow } = await graphql(api.url, key, 'mutation ($input: CreateFlowInput!) { createFlow(input: $input) { flow { id } } }', {
      input: { name: 'Bench flow', definition: FLOW },
    });
    await graphql(api.url, key, 'mutation ($input: FlowIdInput!) { publishFlow(input: $input) { flow { id } } }', { input: { flowId: createFlow.flow.id } });
    for (const number of numbers) {
      await graphql(api.url, key, 'mutation ($input: UpdateChannelInput!) { updateChannel(input: $input) { channel { id } } }', {
        input: { id: number.channelId, defaultFlowId: createFlow.flow.id, throughputPerSecond: 1000 },
      });
    }

    const waIds = Array.from({ length: CUSTOMERS }, (_, i) => `5511${String(900_000_000 + i)}`);
    const step = (waId: string, k: number) => {
      const base = { from: waId, id: `wamid.bench.${waId}.${k}`, timestamp: String(Math.floor(Date.now() / 1000)) };
      if (k === 0) return { ...base, type: 'text', text: { body: 'hi' } };
      if (k === 1) return { ...base, type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'sales', title: 'Sales' } } };
      return { ...base, type: 'text', text: { body: `customer${waId}@example.com` } };
    };
    const poster = new WebhookPoster(api.url, RUN_SECRETS.META_APP_SECRET, 128);
    posters.push(poster);
    /** Each customer writes to one number, the same one every time (by the customer's position). */
    const post = (waId: string, k: number, customer: number) => {
      const number = numbers[customer % NUMBERS]!;
      const metadata = { display_phone_number: number.display.replace(/\D/g, ''), phone_number_id: number.phoneNumberId };
      return poster.post(
        JSON.stringify({
          object: 'whatsapp_business_account',
          entry: [{ id: wabaId, changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata, contacts: [{ profile: { name: 'Bench' }, wa_id: waId }], messages: [step(waId, k)] } }] }],
        }),
      );
    };

    /**
     * Posts every message of `customers` at RATE, open loop: each customer's k-th message after every
     * customer's (k-1)-th, so a customer's messages are far enough apart to be answered in between.
     */
    const chat = async (customers: string[]) => {
      const count = customers.length * MESSAGES;
      const postedAt = new Map<string, number[]>(customers.map((waId) => [waId, []]));
      const failures: Record<string, number> = {};
      /** Webhook acknowledgement times (ms): ingest must stay fast while processing lags behind. */
      const acks: number[] = [];
      const inFlight = new Set<Promise<void>>();
      const started = Date.now();
      const interval = 1000 / RATE;
      for (let m = 0; m < count; ) {
        const elapsed = Date.now() - started;
        while (m < count && m * interval <= elapsed) {
          const waId = customers[m % customers.length]!;
          const k = Math.floor(m / customers.length);
          const postedNow = Date.now();
          postedAt.get(waId)!.push(postedNow);
          const sent: Promise<void> = post(waId, k, m % customers.length)
            .then((status) => {
              if (status !== 200) failures[status] = (failures[status] ?? 0) + 1;
              else acks.push(Date.now() - postedNow);
            })
            .catch((error: NodeJS.ErrnoException) => {
              failures[error.code ?? 'error'] = (failures[error.code ?? 'error'] ?? 0) + 1;
            })
            .finally(() => inFlight.delete(sent));
          inFlight.add(sent);
          m++;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, m * interval - (Date.now() - started))));
      }
      await Promise.all(inFlight);
      return { postedAt, failures, acks, started, postedIn: (Date.now() - started) / 1000 };
    };

    /** Every message gets exactly one reply: waits until the fake has `expected` in all, or progress stopped for 30 s. */
    const awaitReplies = async (expected: number) => {
      let last = -1;
      let stalledSince = Date.now();
      for (;;) {
        const accepted = fake.sentMessages().length;
        if (accepted >= expected) return;
        if (accepted !== last) [last, stalledSince] = [accepted, Date.now()];
        if (Date.now() - stalledSince > 30_000) {
          console.log(`  stopped waiting: ${accepted} of ${expected} replies after 30 s without progress`);
          const stuck = await db.query(
            `select m.status, m.send_state, m.send_attempts, count(*)::int as n from message m
             where m.direction = 'OUT' and m.wamid is null group by 1, 2, 3 order by 4 desc`,
          );
          console.log(`  replies not accepted, by state: ${JSON.stringify(stuck.rows)}`);
          const redis = new IORedis(requireEnv('REDIS_URL'));
          console.log(`  delayed send jobs: ${await redis.zcard(`{${prefix}}:outbound:delayed`).finally(() => redis.disconnect())}`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    if (WARM_UP) {
      const warmedAt = performance.now();
      await chat(Array.from({ length: WARM_UP }, (_, i) => `5512${String(900_000_000 + i)}`));
      await awaitReplies(WARM_UP * MESSAGES);
      // The flow's bookkeeping after the last reply (statuses, the relay) settles before the clock starts.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      console.log(`warm-up: ${WARM_UP} other customers x ${MESSAGES} messages through the same flow (${((performance.now() - warmedAt) / 1000).toFixed(1)} s)`);
    }
    const warmUpReplies = fake.sentMessages().length;
    const eventsBefore = await eventCounts(db);

    const total = CUSTOMERS * MESSAGES;
    console.log(
      `flow e2e: ${CUSTOMERS} customers x ${MESSAGES} messages = ${total} at ${perSecond(RATE)} offered (open loop), ` +
        `over ${NUMBERS} number${NUMBERS > 1 ? 's' : ''}, api + ${WORKERS} worker process${WORKERS > 1 ? 'es' : ''}, ${os.cpus().length} CPUs, ${args.pg} PostgreSQL`,
    );

    // Inbound messages stored during the run, read once it is over (see inboundStoredTimes).
    const runStart = new Date();

    if (args.statements) {
      await db.query('create extension if not exists pg_stat_statements');
      await db.query('select pg_stat_statements_reset()');
    }
    const commitsBefore = await commitCount(db);
    const scansBefore = await sequentialScans(db);
    const cpuBefore = cpuSnapshot(processes);
    const { postedAt, failures, acks, started, postedIn } = await chat(waIds);
    await awaitReplies(warmUpReplies + total);
    const finished = Date.now();
    const cpuAfter = cpuSnapshot(processes);
    const inboundTimes = await inboundStoredTimes(db, organizationId, runStart);

    // Latency: the k-th reply to a customer answers their k-th message.
    const repliesTo = new Map<string, number[]>();
    for (const request of fake.sentMessages().slice(warmUpReplies)) {
      const to = String((request.body as { to?: string }).to ?? '').replace(/^\+/, '');
      const list = repliesTo.get(to) ?? [];
      list.push(request.at.getTime());
      repliesTo.set(to, list);
    }
    const latencies: number[] = [];
    for (const [waId, posts] of postedAt) {
      const replies = repliesTo.get(waId) ?? [];
      posts.forEach((at, k) => {
        if (replies[k] !== undefined) latencies.push(replies[k]! - at);
      });
    }
    const replyTimes = [...repliesTo.values()].flat().sort((a, b) => a - b);
    const latency = summarise(latencies);
    const replyRates = rates(replyTimes, 1000);
    const inboundRates = rates(inboundTimes, 1000);

    const ack = summarise(acks);
    console.log(
      `  posted ${total} webhooks in ${postedIn.toFixed(1)} s (${perSecond(total / postedIn)})${Object.keys(failures).length ? `, failures ${JSON.stringify(failures)}` : ', all 200'}; ` +
        `ack p50 ${ms(ack.p50)}, p99 ${ms(ack.p99)}`,
    );
    console.log(`  inbound processed  ${inboundTimes.length} stored; sustained ${perSecond(sustainedRate(inboundTimes))} (busiest 1 s: ${perSecond(inboundRates.busiest)})`);
    console.log(
      `  replies accepted   ${replyTimes.length} of ${total}; sustained ${perSecond(sustainedRate(replyTimes))} ` +
        `(busiest 1 s: ${perSecond(replyRates.busiest)}; first post to last reply: ${perSecond((replyTimes.length * 1000) / (finished - started))})`,
    );
    const perNumber = (sustainedRate(inboundTimes) + sustainedRate(replyTimes)) / NUMBERS;
    console.log(`  per number         ${perSecond(perNumber)} in and out together (Meta's top tier: 1,000/s per number)`);
    console.log(`  reply latency      p50 ${ms(latency.p50)}   p99 ${ms(latency.p99)}   max ${ms(latency.max)}   (${latency.count} replies)`);
    const target = sustainedRate(replyTimes) >= 1000 && latency.p99 < 500;
    console.log(`  target (DESIGN.md section 10): 1,000 messages/s sustained with p99 < 500 ms: ${target ? 'MET' : 'NOT MET'}`);
    const seconds = (finished - started) / 1000;
    console.log(`  CPU over the run (${seconds.toFixed(1)} s wall, ${os.cpus().length} cores = ${(seconds * os.cpus().length).toFixed(1)} CPU s available):`);
    for (const label of Object.keys(cpuAfter)) {
      const used = cpuAfter[label]! - cpuBefore[label]!;
      console.log(`    ${label.padEnd(30)} ${used.toFixed(1).padStart(6)} s   ${((used * 1000) / Math.max(1, replyTimes.length)).toFixed(2)} ms per message`);
    }
    const commits = (await commitCount(db)) - commitsBefore;
    console.log(`  PostgreSQL commits  ${commits} (${(commits / Math.max(1, total)).toFixed(1)} per message)`);
    const eventsAfter = await eventCounts(db);
    const events = [...eventsAfter].map(([type, n]) => ({ type, n: n - (eventsBefore.get(type) ?? 0) })).filter((row) => row.n > 0).sort((a, b) => b.n - a.n);
    const eventTotal = events.reduce((sum, row) => sum + row.n, 0);
    console.log(
      `  log events         ${eventTotal} (${(eventTotal / Math.max(1, total)).toFixed(1)} per message: ${events.map((row) => `${row.type} ${(row.n / Math.max(1, total)).toFixed(1)}`).join(', ')})`,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    console.log(`  sequential scans   ${describeSequentialScans(scansBefore, await sequentialScans(db), total)}`);
    if (args.statements) await printStatements(db, Number(args.statements), total);
  } finally {
    for (const poster of posters) poster.close();
    await Promise.all(processes.map(({ app }) => app.stop().catch(() => undefined)));
    await fake.close().catch(() => undefined);
    await db.end().catch(() => undefined);
    await admin(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`).catch(() => undefined);
    const redis = new IORedis(requireEnv('REDIS_URL'), { maxRetriesPerRequest: 1 });
    try {
      for (const pattern of [`${prefix}:*`, `{${prefix}}:*`]) {
        for await (const keys of redis.scanStream({ match: pattern, count: 1000 }) as AsyncIterable<string[]>) if (keys.length) await redis.unlink(...keys);
      }
    } finally {
      redis.disconnect();
    }
    privatePg?.stop();
    console.log(`  app logs: ${logFile}${args.profile ? `; CPU profiles in ${path.resolve(args.profile)}` : ''}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
