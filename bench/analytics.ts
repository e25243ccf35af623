/**
 * Analytics reports on volume (issue 7, point 9; DESIGN.md section 10: every report over
 * 1,000,000 messages in under 100 ms).
 *
 *   eval "$(bash scripts/services.sh env)" && npm run bench:analytics [-- --messages 1000000 --runs 30 --warmup 3]
 *
 * Options: --messages N (default 1,000,000; --conversations defaults to N/10), --days 60, --seed 7,
 * --runs 30 and --warmup 3 per report, --build rebuild|refresh, --pg private|shared,
 * --keep-indexes (load with the indexes in place), --check (consistency of the generated history),
 * --dump DIR (each report's last answer as JSON), --log-level warn (the app's).
 *
 * 1. A private PostgreSQL (default durability; `--pg shared` uses DATABASE_URL's server instead),
 *    migrated with the app's migrations; the app (`src/main.ts`, ROLE=api: no worker, so no
 *    background refresher competes with the timings) on the dev Redis under a scratch prefix.
 * 2. Through the API: an organization (OWNER key), 3 channels, 12 agents, 7 templates, 20 flows
 *    (createFlow/publishFlow; three get a second version half way through the history); and a
 *    small second organization with the same shapes (isolation must not be a free win).
 * 3. History (bench/analytics/*): N messages over N/10 conversations and 60 days ending now,
 *    streamed by COPY in time order (event ids follow time, as the refresher assumes), with the
 *    two big tables' indexes rebuilt after the load. The bot's turns come from the real flow engine,
 *    so sessions walk real paths; customers answer, answer wrongly, go silent or never receive a
 *    prompt; agents take handed-off conversations (business hours), answer and close; campaigns
 *    and login codes go out as templates; Meta statuses, error codes and pricing categories as the
 *    webhooks would report them.
 * 4. Rollups: rebuildRange (the rebuildAnalytics job) up to a day ago, then the refresher
 *    (refreshAnalytics) over the last day's events, in this process (`--build refresh`: the
 *    refresher over the whole log); time per builder; then VACUUM ANALYZE.
 * 5. Each report through HTTP GraphQL with the OWNER key: warm-up, then sequential runs; p50 / p95 /
 *    max against the 100 ms target. A report that fails prints its error; nothing is asserted.
 *    Everything started here is stopped at the end, also on failure.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { initOrm, migrate, type Orm } from '../src/db/orm';
import { setupOrganization, smallOrgFlows } from './analytics/bench-setup';
import { buildRollups } from './analytics/build-rollups';
import { loadWithoutIndexes } from './analytics/bulk-load';
import { checkHistory } from './analytics/history-checks';
import { benchFlowSpecs } from './analytics/flows';
import { calibrateActivity, generateHistory } from './analytics/history-generator';
import type { OrgModel } from './analytics/history-model';
import { timeQuery, type QueryFigures, type TimedQuery } from './analytics/query-timing';
import { startAppProcess, type AppProcess } from './lib/app-process';
import { RUN_SECRETS, requireEnv, withDatabase } from './lib/bench-env';
import { startPrivatePostgres, type PrivatePostgres } from './lib/private-postgres';
import { perSecond } from './lib/stats';

// ---------------------------------------------------------------------------------------------
// The reports timed, in one table: align these documents with src/schema/schema.graphql.

interface QueryContext {
  /** The whole history: 60 days to tomorrow, UTC midnights. */
  range: { from: string; to: string; timeZone: string };
  /** The same days in the organization's zone (midnights there). */
  localRange: { from: string; to: string; timeZone: string };
  /** The last 30 of those days (so the previous period, the 30 before, has data too). */
  recentRange: { from: string; to: string; timeZone: string };
  flowId: string;
  flowVersion: number;
  conversationId: string;
}

const DURATION = '{ count median p90 }';
const ACTIVITY = `totals { inbound outbound activeContacts newContacts returningContacts conversationsOpened conversationsClosed }
  days { date startsAt inbound outbound activeContacts newContacts returningContacts conversationsOpened conversationsClosed }
  hourOfWeek { dayOfWeek hour inbound outbound messages }`;
const DELIVERY = `queued sent delivered read replied failed sentRate deliveredRate readRate replyRate failureRate
  topFailures { code title count } pricingCategories { category count }`;
/** Defaults of the schema would do; explicit so the figures do not move if they change. */
const SEGMENT_THRESHOLDS = { activeMinMessages: 8, powerMinMessages: 30, dormantAfterDays: 21 };
const FLOW_FIGURES = 'sessionsStarted completed handedOff abandoned active completionRate handoffRate abandonmentRate medianDurationSeconds p90DurationSeconds messagesPerSession';

const QUERIES: { name: string; label: string; query: string; variables: (ctx: QueryContext) => Record<string, unknown> }[] = [
  {
    name: 'flowReport',
    label: 'flowReport (60 days, UTC)',
    query: `query ($flowId: ID!, $range: AnalyticsRangeInput!) { flowReport(flowId: $flowId, range: $range) {
      ${FLOW_FIGURES} previous { ${FLOW_FIGURES} } change { sessionsStarted completionRate } days { date sessionsStarted completed handedOff abandoned } } }`,
    variables: (ctx) => ({ flowId: ctx.flowId, range: ctx.range }),
  },
  {
    name: 'flowReport',
    label: 'flowReport (30 days vs 30 before, local)',
    query: `query ($flowId: ID!, $range: AnalyticsRangeInput!) { flowReport(flowId: $flowId, range: $range) {
      ${FLOW_FIGURES} previous { ${FLOW_FIGURES} } change { sessionsStarted completionRate } days { date sessionsStarted completed handedOff abandoned } } }`,
    variables: (ctx) => ({ flowId: ctx.flowId, range: ctx.recentRange }),
  },
  {
    name: 'flowReport',
    label: 'flowReport (one version, 60 days)',
    query: `query ($flowId: ID!, $version: Int, $range: AnalyticsRangeInput!) { flowReport(flowId: $flowId, version: $version, range: $range) {
      ${FLOW_FIGURES} previous { ${FLOW_FIGURES} } days { date sessionsStarted } } }`,
    variables: (ctx) => ({ flowId: ctx.flowId, version: ctx.flowVersion, range: ctx.range }),
  },
  {
    name: 'flowFunnel',
    label: 'flowFunnel (node heatmap)',
    query: `query ($flowId: ID!, $version: Int!, $range: AnalyticsRangeInput!) { flowFunnel(flowId: $flowId, version: $version, range: $range) {
      sessionsStarted start nodes { nodeId type waitsForReply visits sessions conversations invalidAnswers retries dropOffs dropOffRate deliveryFailed wentSilent
        medianSecondsToAnswer exits { continued retried validationFailed abandoned handedOff ended waiting } } } }`,
    variables: (ctx) => ({ flowId: ctx.flowId, version: ctx.flowVersion, range: ctx.range }),
  },
  {
    name: 'dailyActivity',
    label: 'dailyActivity (UTC)',
    query: `query ($range: AnalyticsRangeInput!) { dailyActivity(range: $range) { ${ACTIVITY} } }`,
    variables: (ctx) => ({ range: ctx.range }),
  },
  {
    name: 'dailyActivity',
    label: 'dailyActivity (America/Sao_Paulo)',
    query: `query ($range: AnalyticsRangeInput!) { dailyActivity(range: $range) { ${ACTIVITY} } }`,
    variables: (ctx) => ({ range: ctx.localRange }),
  },
  {
    name: 'userSegments',
    label: 'userSegments',
    query: `query ($range: AnalyticsRangeInput!, $thresholds: UserSegmentThresholdsInput) { userSegments(range: $range, thresholds: $thresholds) {
      asOf dormantBefore thresholds { activeMinMessages powerMinMessages dormantAfterDays } segments { segment contacts } } }`,
    variables: (ctx) => ({ range: ctx.range, thresholds: SEGMENT_THRESHOLDS }),
  },
  {
    name: 'segmentContacts',
    label: 'segmentContacts (ACTIVE, page of 50)',
    query: `query ($range: AnalyticsRangeInput!, $thresholds: UserSegmentThresholdsInput) {
      segmentContacts(range: $range, thresholds: $thresholds, segment: ACTIVE, first: 50) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { segment messages lastMessageAt contact { id name waId } } } } }`,
    variables: (ctx) => ({ range: ctx.range, thresholds: SEGMENT_THRESHOLDS }),
  },
  {
    name: 'deliveryFunnel',
    label: 'deliveryFunnel by TEMPLATE',
    query: `query ($range: AnalyticsRangeInput!) { deliveryFunnel(range: $range, by: TEMPLATE) {
      totals { ${DELIVERY} } rows { template { id name category } ${DELIVERY} } } }`,
    variables: (ctx) => ({ range: ctx.range }),
  },
  {
    name: 'deliveryFunnel',
    label: 'deliveryFunnel by FLOW_NODE',
    query: `query ($range: AnalyticsRangeInput!) { deliveryFunnel(range: $range, by: FLOW_NODE) {
      totals { ${DELIVERY} } rows { flowNode { flowId flowName flowVersion nodeId } ${DELIVERY} } } }`,
    variables: (ctx) => ({ range: ctx.range }),
  },
  {
    name: 'deliveryFunnel',
    label: 'deliveryFunnel by CHANNEL',
    query: `query ($range: AnalyticsRangeInput!) { deliveryFunnel(range: $range, by: CHANNEL) {
      totals { ${DELIVERY} } rows { channel { id name displayPhoneNumber } ${DELIVERY} } } }`,
    variables: (ctx) => ({ range: ctx.range }),
  },
  {
    name: 'agentMetrics',
    label: 'agentMetrics (wall clock)',
    query: `query ($range: AnalyticsRangeInput!) { agentMetrics(range: $range) {
      overall { episodes answeredEpisodes resolvedEpisodes conversationsHandled messagesSent firstResponseTime ${DURATION} resolutionTime ${DURATION} }
      agents { agentId name episodes conversationsHandled messagesSent firstResponseTime ${DURATION} resolutionTime ${DURATION} } } }`,
    variables: (ctx) => ({ range: ctx.range }),
  },
  {
    name: 'agentMetrics',
    label: 'agentMetrics (business hours)',
    query: `query ($range: AnalyticsRangeInput!, $hours: BusinessHoursInput) { agentMetrics(range: $range, businessHours: $hours) {
      overall { episodes answeredEpisodes resolvedEpisodes conversationsHandled messagesSent firstResponseTime ${DURATION} resolutionTime ${DURATION} }
      agents { agentId name episodes conversationsHandled messagesSent firstResponseTime ${DURATION} resolutionTime ${DURATION} } } }`,
    variables: (ctx) => ({ range: ctx.localRange, hours: { start: '09:00', end: '18:00', days: [1, 2, 3, 4, 5], timeZone: 'America/Sao_Paulo' } }),
  },
  {
    name: 'conversationTranscript',
    label: 'conversationTranscript (100 entries)',
    query: `query ($id: ID!) { conversationTranscript(conversationId: $id, first: 100) { totalCount pageInfo { hasNextPage endCursor }
      edges { node { cursor kind at summary status previousStatus messageStatus errorCode errorTitle
        message { id direction type author text status flowNodeId } bot { step flowId flowVersion nodeId attempts reason } by { kind id name } } } } }`,
    variables: (ctx) => ({ id: ctx.conversationId }),
  },
];

/** The JSON lines export of the same transcript (a GET, not GraphQL). */
const transcriptExport = (ctx: QueryContext): TimedQuery => ({
  name: 'transcript.jsonl',
  label: 'transcript export (JSON lines, GET)',
  get: `/analytics/conversations/${ctx.conversationId}/transcript.jsonl`,
});

const TARGET_MS = 100;

// ---------------------------------------------------------------------------------------------

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    conversations: { type: 'string' },
    days: { type: 'string', default: '60' },
    runs: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '3' },
    seed: { type: 'string', default: '7' },
    build: { type: 'string', default: 'rebuild' },
    pg: { type: 'string', default: 'private' },
    'keep-indexes': { type: 'boolean', default: false },
    dump: { type: 'string' },
    check: { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'warn' },
  },
});
const MESSAGES = Number(args.messages);
const CONVERSATIONS = Number(args.conversations ?? Math.round(MESSAGES / 10));
const DAYS = Number(args.days);
const RUNS = Number(args.runs);
const WARMUP = Number(args.warmup);
const SEED = Number(args.seed);
if (!(MESSAGES >= 1000 && CONVERSATIONS >= 100 && CONVERSATIONS <= MESSAGES && DAYS >= 2 && DAYS <= 365 && RUNS >= 1 && WARMUP >= 0 && Number.isInteger(SEED))) {
  throw new Error('--messages >= 1000, --conversations 100 to --messages, --days 2 to 365, --runs >= 1, --warmup >= 0, --seed an integer');
}
if (args.build !== 'refresh' && args.build !== 'rebuild') throw new Error('--build is refresh or rebuild');
if (args.pg !== 'private' && args.pg !== 'shared') throw new Error('--pg is private or shared');

const DAY_MS = 86_400_000;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const fmtMs = (value: number) => (Number.isNaN(value) ? '-' : value.toFixed(1));
const count = (value: number) => value.toLocaleString('en-US');
const size = (bytes: number) => (bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(2)} GB` : bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MB` : `${(bytes / 1024).toFixed(0)} kB`);

async function timed<T>(label: string, work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  process.stdout.write(`  ${label}... `);
  const started = performance.now();
  const result = await work();
  const ms = performance.now() - started;
  console.log(seconds(ms));
  return { result, ms };
}

async function tableSizes(db: Client, names: string[]): Promise<{ name: string; rows: number; bytes: number }[]> {
  const sizes = [];
  for (const name of names) {
    const { rows } = await db.query<{ rows: string; bytes: string }>(`select (select count(*) from "${name}") as rows, pg_total_relation_size($1::regclass) as bytes`, [name]);
    sizes.push({ name, rows: Number(rows[0]!.rows), bytes: Number(rows[0]!.bytes) });
  }
  return sizes;
}

function printSizes(sizes: { name: string; rows: number; bytes: number }[]): void {
  for (const { name, rows, bytes } of sizes) console.log(`    ${name.padEnd(40)} ${count(rows).padStart(12)} rows ${size(bytes).padStart(10)}`);
}

async function main() {
  const privatePg: PrivatePostgres | undefined = args.pg === 'private' ? await startPrivatePostgres() : undefined;
  const serverUrl = privatePg?.url ?? requireEnv('DATABASE_URL');
  const database = `wa_bench_analytics_${randomBytes(4).toString('hex')}`;
  const databaseUrl = withDatabase(serverUrl, database);
  const prefix = `banalytics${randomBytes(4).toString('hex')}`;
  const logFile = path.join(os.tmpdir(), `${prefix}.log`);
  let app: AppProcess | undefined;
  let orm: Orm | undefined;
  const admin = new Client({ connectionString: serverUrl });
  const db = new Client({ connectionString: databaseUrl });
  let stopping = false;
  const cleanup = async () => {
    if (stopping) return;
    stopping = true;
    await app?.stop().catch(() => undefined);
    await orm?.close(true).catch(() => undefined);
    await db.end().catch(() => undefined);
    if (!privatePg) await admin.query(`drop database if exists ${database} with (force)`).catch(() => undefined);
    await admin.end().catch(() => undefined);
    privatePg?.stop();
    const redis = new IORedis(requireEnv('REDIS_URL'), { maxRetriesPerRequest: 1 });
    try {
      for (const pattern of [`${prefix}:*`, `{${prefix}}:*`]) {
        for await (const keys of redis.scanStream({ match: pattern, count: 1000 }) as AsyncIterable<string[]>) if (keys.length) await redis.unlink(...keys);
      }
    } finally {
      redis.disconnect();
    }
  };
  process.once('SIGINT', () => {
    void cleanup().finally(() => process.exit(130));
  });

  const phases: [string, number][] = [];
  const figures: QueryFigures[] = [];
  try {
    await admin.connect();
    await admin.query(`create database ${database}`);
    await db.connect();
    const setting = async (name: string) => (await db.query(`select current_setting('${name}') as value`)).rows[0].value as string;
    console.log(
      `analytics bench: ${count(MESSAGES)} messages, ${count(CONVERSATIONS)} conversations, ${DAYS} days, seed ${SEED}; ` +
        `${args.pg} PostgreSQL ${await setting('server_version')} (fsync ${await setting('fsync')}, shared_buffers ${await setting('shared_buffers')}, work_mem ${await setting('work_mem')}); ` +
        `${os.cpus().length} CPUs, load average ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}; app log ${logFile}`,
    );

    orm = await initOrm({ url: databaseUrl, poolMax: 4, logger: () => undefined });
    const migrated = await timed('migrate (the app migrations)', () => migrate(orm!));
    phases.push(['migrate', migrated.ms]);

    app = await startAppProcess(
      {
        ...RUN_SECRETS,
        ROLE: 'api',
        NODE_ENV: 'production',
        LOG_LEVEL: args['log-level']!,
        DATABASE_URL: databaseUrl,
        REDIS_URL: requireEnv('REDIS_URL'),
        REDIS_PREFIX: prefix,
        // Channels and templates queue Meta calls for a worker; none runs here, and nothing may reach the network.
        META_GRAPH_URL: 'http://127.0.0.1:9/v25.0',
        RATE_LIMIT_PER_MINUTE: '1000000',
      },
      logFile,
    );
    const appUrl = app.url;

    const now = Date.now();
    const window = { start: now - DAYS * DAY_MS, now };
    const secondVersionFrom = window.start + (DAYS / 2) * DAY_MS;
    const setup = await timed('organizations, channels, agents, templates, 20 + 6 flows (API)', async () => {
      const main = await setupOrganization(appUrl, RUN_SECRETS.ADMIN_TOKEN, db, {
        name: 'Analytics bench', timeZone: 'America/Sao_Paulo', utcOffsetHours: -3, channels: 3, agents: 12, flows: benchFlowSpecs(),
        conversations: CONVERSATIONS, messages: MESSAGES, secondVersionFrom, historyStart: window.start,
      });
      const small = await setupOrganization(appUrl, RUN_SECRETS.ADMIN_TOKEN, db, {
        name: 'Small neighbour', timeZone: 'Africa/Lagos', utcOffsetHours: 1, channels: 1, agents: 2, flows: smallOrgFlows(),
        conversations: Math.max(50, Math.round(CONVERSATIONS / 200)), messages: Math.max(500, Math.round(MESSAGES / 200)), secondVersionFrom, historyStart: window.start,
      });
      return { main, small };
    });
    phases.push(['setup (API)', setup.ms]);
    const orgs: OrgModel[] = [setup.result.main.model, setup.result.small.model];

    const calibration = await timed('calibrating return visits on a sample', () => calibrateActivity(SEED + 1, orgs[0]!, window));
    console.log(`    activity x${calibration.result.activity.toFixed(3)}: ${calibration.result.perConversation.toFixed(2)} messages per conversation on the sample`);
    phases.push(['calibration', calibration.ms]);

    const generate = () => generateHistory(databaseUrl, orgs, window, SEED, calibration.result.activity);
    const loaded = await timed(`generating the history (COPY in time order${args['keep-indexes'] ? ', indexes kept' : ', then indexes rebuilt'})`, () =>
      args['keep-indexes'] ? generate().then((result) => ({ result, indexes: 0, rebuildMs: 0 })) : loadWithoutIndexes(db, ['message', 'conversation_event'], generate),
    );
    const generated = { result: loaded.result.result, ms: loaded.ms };
    if (loaded.result.indexes) console.log(`    of which ${seconds(loaded.result.rebuildMs)} rebuilding the ${loaded.result.indexes} indexes of message and conversation_event`);
    phases.push(['history generation', generated.ms]);
    for (const [index, org] of orgs.entries()) {
      const c = generated.result.counts.get(org.id)!;
      console.log(
        `    org ${index === 0 ? 'A' : 'B'}: ${count(c.contacts)} contacts, ${count(c.conversations)} conversations, ` +
          `${count(c.messagesIn + c.messagesOut)} messages (${count(c.messagesIn)} in, ${count(c.messagesOut)} out), ${count(c.events)} events`,
      );
    }
    const types = [...generated.result.eventTypes.entries()].sort((a, b) => b[1] - a[1]);
    console.log(`    events: ${types.map(([type, n]) => `${type} ${count(n)}`).join(', ')}`);
    const vacuumed = await timed('VACUUM ANALYZE of the loaded tables', async () => {
      for (const table of ['message', 'conversation_event', 'conversation', 'contact']) await db.query(`vacuum analyze "${table}"`);
    });
    phases.push(['vacuum analyze (raw)', vacuumed.ms]);
    printSizes(await tableSizes(db, ['message', 'conversation_event', 'conversation', 'contact']));
    if (args.check) {
      const checked = await timed('checking the history', () => checkHistory(db));
      for (const { rule, broken } of checked.result) console.log(`    ${broken === 0 ? 'ok    ' : `BROKEN ${count(broken)}`}  ${rule}`);
    }

    const wholeLog = args.build === 'refresh';
    process.stdout.write(wholeLog ? '  refreshAnalytics over the whole event log... ' : '  rebuildRange (the rebuildAnalytics job) up to a day ago, then refreshAnalytics over the last day... ');
    const built = await buildRollups(orm, db, orgs.map((org) => org.id), window, wholeLog, (events) => process.stdout.write(`${count(events)} events.. `));
    console.log('done');
    if (built.rebuild) {
      console.log(`    rebuildRange: ${seconds(built.rebuild.ms)} (${count(built.rebuild.conversations)} conversations, ${count(built.rebuild.buckets)} quarter hours)`);
      phases.push(['rollups: rebuildRange', built.rebuild.ms]);
    }
    const refresh = built.refresh;
    console.log(
      `    refreshAnalytics: ${seconds(refresh.ms)} for ${count(refresh.events)} events (${perSecond((refresh.events * 1000) / refresh.ms)}), ` +
        `${count(refresh.conversations)} conversation and ${count(refresh.buckets)} quarter-hour rebuilds`,
    );
    phases.push([wholeLog ? 'rollups: refreshAnalytics (whole log)' : 'rollups: refreshAnalytics (last day)', refresh.ms]);
    const totalBuild = (built.rebuild?.ms ?? 0) + refresh.ms;
    const inBuilders = [...built.spent.values()].reduce((sum, ms) => sum + ms, 0);
    console.log(`    time by builder: ${[...built.spent.entries()].map(([name, ms]) => `${name} ${seconds(ms)}`).join(', ')}; the rest ${seconds(totalBuild - inBuilders)}`);
    const { rows: analyticsTables } = await db.query<{ name: string }>(`select tablename as name from pg_tables where schemaname = 'public' and tablename like 'analytics\\_%' order by 1`);
    const vacuumedRollups = await timed('VACUUM ANALYZE of the rollup tables', async () => {
      for (const { name } of analyticsTables) await db.query(`vacuum analyze "${name}"`);
    });
    phases.push(['vacuum analyze (rollups)', vacuumedRollups.ms]);
    printSizes(await tableSizes(db, analyticsTables.map((row) => row.name)));

    const main = setup.result.main;
    const leadFlow = main.model.flows[1]!;
    const utcMidnight = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
    const from = utcMidnight(window.start);
    const to = utcMidnight(window.now) + DAY_MS;
    const ctx: QueryContext = {
      range: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), timeZone: 'UTC' },
      localRange: { from: new Date(from + 3 * 3_600_000).toISOString(), to: new Date(to + 3 * 3_600_000).toISOString(), timeZone: 'America/Sao_Paulo' },
      recentRange: { from: new Date(to - 30 * DAY_MS + 3 * 3_600_000).toISOString(), to: new Date(to + 3 * 3_600_000).toISOString(), timeZone: 'America/Sao_Paulo' },
      flowId: leadFlow.id,
      flowVersion: leadFlow.versions.at(-1)!.version,
      conversationId: generated.result.richestConversation?.id ?? '00000000-0000-4000-8000-000000000000',
    };
    console.log(
      `  timing ${QUERIES.length + 1} reports: ${WARMUP} warm-up + ${RUNS} runs each, sequential, over ${new Date(from).toISOString().slice(0, 10)} .. ${new Date(to).toISOString().slice(0, 10)}; ` +
        `flow "Lead 1" v${ctx.flowVersion}; transcript of the longest conversation (${count(generated.result.richestConversation?.rows ?? 0)} rows)`,
    );
    const queries: TimedQuery[] = [...QUERIES.map((q) => ({ name: q.name, label: q.label, query: q.query, variables: q.variables(ctx) })), transcriptExport(ctx)];
    for (const query of queries) {
      const result = await timeQuery(appUrl, main.ownerKey, query, WARMUP, RUNS);
      figures.push(result);
      if (args.dump) {
        mkdirSync(args.dump, { recursive: true });
        writeFileSync(path.join(args.dump, `${String(figures.length).padStart(2, '0')}-${result.label.replace(/[^a-zA-Z0-9]+/g, '-').replace(/-$/, '')}.json`), result.body);
      }
      console.log(
        result.error
          ? `    ${result.label.padEnd(40)} ERROR ${result.error}`
          : `    ${result.label.padEnd(40)} p50 ${fmtMs(result.p50).padStart(7)} ms  p95 ${fmtMs(result.p95).padStart(7)} ms  max ${fmtMs(result.max).padStart(7)} ms  (${size(result.bytes)})`,
      );
    }
  } finally {
    await cleanup();
  }

  console.log('\nSummary');
  for (const [phase, ms] of phases) console.log(`  ${phase.padEnd(34)} ${seconds(ms).padStart(9)}`);
  console.log(`\n  ${'report'.padEnd(40)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)}  target ${TARGET_MS} ms (p95)`);
  for (const result of figures) {
    const verdict = result.error ? `error: ${result.error.slice(0, 70)}` : result.p95 < TARGET_MS ? 'under' : 'OVER';
    console.log(`  ${result.label.padEnd(40)} ${fmtMs(result.p50).padStart(8)} ${fmtMs(result.p95).padStart(8)} ${fmtMs(result.max).padStart(8)}  ${verdict}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
