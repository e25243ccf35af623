import { gql } from 'graphql-request';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { systemEm } from '../../src/db/entity-manager';
import { signBody } from '../../src/meta/webhook-signature';
import { sweepDeliveries } from '../../src/services/inbound/delivery-maintenance.service';
import { startChildApp, type ChildApp } from '../helpers/child-app';
import { startRedisServer, type ThrowawayRedis } from '../helpers/redis-server';
import { channelInput, createOrganization } from '../helpers/fixtures';
import { messagesEnvelope, postWebhook, textMessage, unixSeconds, wamid, type ChannelRef } from '../helpers/meta-webhook';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { TEST_SECRETS, requireEnv } from '../helpers/test-env';
import { waitFor } from '../helpers/wait';

/**
 * The crash acceptance of the Meta webhook: an acknowledged delivery is never lost and never
 * processed twice, whether no worker runs, its job vanished with Redis, a worker dies mid-batch, or
 * Redis is down when it arrives. The first three stories run an api-only app (it acknowledges, it
 * never processes) and separate worker processes that share its database and Redis prefix, as in
 * production.
 */

const CREATE_CHANNEL = gql`
  mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id phoneNumberId wabaId displayPhoneNumber } } }
`;

/** A short job lock, so a dead worker's job is taken over in seconds instead of BullMQ's 30. */
const JOB_LOCK_MS = '2000';

interface Stack {
  api: TestApp;
  channel: ChannelRef;
  /** Our own connection to the app's database, for the counts the assertions are about. */
  db: Client;
}

async function startApiWithChannel(): Promise<Stack> {
  const api = await startTestApp({ ROLE: 'api' });
  const org = await createOrganization(api);
  const result = await api.client(org.ownerKey).request<any>(CREATE_CHANNEL, { input: channelInput() });
  const db = new Client({ connectionString: api.config.database.url });
  await db.connect();
  return { api, channel: result.createChannel.channel, db };
}

async function stopAll(stack: Stack | undefined, ...others: ({ stop(): Promise<void> } | undefined)[]) {
  for (const other of others) await other?.stop();
  await stack?.db.end();
  await stack?.api.stop();
}

/** Worker settings that share the api's database and queues. */
const workerOf = (api: TestApp, extra: Record<string, string> = {}) => ({
  ROLE: 'worker',
  DATABASE_URL: api.config.database.url,
  REDIS_PREFIX: api.config.redis.prefix,
  ...extra,
});

async function one<T>(db: Client, sql: string, params: unknown[] = []): Promise<T> {
  return (await db.query(sql, params)).rows[0] as T;
}

/** The webhook queue has nothing left to run (other queues belong to other stories). */
async function webhookQueueDrained(api: TestApp) {
  const queue = api.queues.get('webhook');
  await waitFor(async () => Object.values(await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')).every((n) => n === 0), {
    what: 'the webhook queue to drain',
  });
}

/** Deliveries by status, e.g. `{ RECEIVED: 3 }`. */
async function inbox(db: Client): Promise<Record<string, number>> {
  const { rows } = await db.query('select status, count(*)::int as n from webhook_delivery group by status');
  return Object.fromEntries(rows.map((row) => [row.status, row.n]));
}

/** What processing left behind: the wamids stored, and MESSAGE_RECEIVED events in total and per wamid. */
async function processed(db: Client) {
  const { rows } = await db.query('select wamid from message order by wamid');
  const events = await one<{ total: number; wamids: number }>(
    db,
    `select count(*)::int as total, count(distinct data->>'wamid')::int as wamids from conversation_event where type = 'MESSAGE_RECEIVED'`,
  );
  return { wamids: rows.map((row) => row.wamid as string), events };
}

describe('a delivery acknowledged while no worker runs', () => {
  let stack: Stack;
  let worker: TestApp | undefined;
  beforeAll(async () => {
    stack = await startApiWithChannel();
  });
  afterAll(() => stopAll(stack, worker));

  it('waits in the inbox and is processed exactly once when a worker starts', async () => {
    const { api, channel, db } = stack;
    const ids = Array.from({ length: 5 }, () => wamid());
    const bodies = ids.map((id, i) => textMessage(channel, `55119999900${i}0`, `hello ${i}`, { id }));
    // Meta retries what it thinks was not acknowledged: the first delivery arrives twice.
    for (const body of [...bodies, bodies[0]]) expect((await postWebhook(api.url, body)).status).toBe(200);

    expect(await inbox(db)).toEqual({ RECEIVED: 6 });
    expect(await api.queues.get('webhook').getJobCounts('waiting', 'active', 'completed')).toEqual({ waiting: 6, active: 0, completed: 0 });
    expect((await processed(db)).wamids).toEqual([]);

    worker = await startTestApp(workerOf(api));
    await waitFor(async () => (await inbox(db)).PROCESSED === 6, { timeoutMs: 20_000, what: 'all deliveries PROCESSED' });
    await webhookQueueDrained(api);

    expect(await inbox(db)).toEqual({ PROCESSED: 6 });
    expect(await processed(db)).toEqual({ wamids: [...ids].sort(), events: { total: 5, wamids: 5 } });
    expect(await one(db, 'select min(attempts)::int as min, max(attempts)::int as max from webhook_delivery')).toEqual({ min: 1, max: 1 });
  });
});

describe('a stored delivery whose job was lost', () => {
  let stack: Stack;
  let worker: TestApp | undefined;
  beforeAll(async () => {
    stack = await startApiWithChannel();
  });
  afterAll(() => stopAll(stack, worker));

  /** What a Redis restart without persistence does to our queues: every key under the prefix is gone. */
  async function loseAllJobs(prefix: string) {
    const redis = new IORedis(requireEnv('REDIS_URL'), { maxRetriesPerRequest: 1 });
    try {
      const stream = redis.scanStream({ match: `{${prefix}}:*`, count: 500 });
      for await (const keys of stream as AsyncIterable<string[]>) if (keys.length) await redis.unlink(...keys);
    } finally {
      redis.disconnect();
    }
  }

  it('is re-driven by the sweeper and processed exactly once', async () => {
    const { api, channel, db } = stack;
    const id = wamid();
    expect((await postWebhook(api.url, textMessage(channel, '5511999990100', 'lost job', { id }))).status).toBe(200);
    await loseAllJobs(api.config.redis.prefix);
    expect(await api.queues.get('webhook').getJobCounts('waiting', 'active', 'completed')).toEqual({ waiting: 0, active: 0, completed: 0 });
    expect(await inbox(db)).toEqual({ RECEIVED: 1 });

    worker = await startTestApp(workerOf(api));
    const em = () => systemEm(api.orm);
    // A delivery that just arrived may still be on its way through the queue: the default sweep leaves it alone.
    expect(await sweepDeliveries(em(), api.queues)).toBe(0);
    // Twice at once: the job id is the delivery id, so a second sweep does not enqueue it again (and
    // one that starts after the first enqueued it sees a job waiting and leaves the delivery alone).
    const swept = await Promise.all([sweepDeliveries(em(), api.queues, 0), sweepDeliveries(em(), api.queues, 0)]);
    expect(swept).toContain(1);

    await waitFor(async () => (await inbox(db)).PROCESSED === 1, { timeoutMs: 20_000, what: 'the delivery PROCESSED' });
    await webhookQueueDrained(api);
    expect(await processed(db)).toEqual({ wamids: [id], events: { total: 1, wamids: 1 } });
    expect(await sweepDeliveries(em(), api.queues, 0)).toBe(0);
  });
});

describe('a worker killed in the middle of a batch', () => {
  const MESSAGES = 300;
  const CONTACTS = 30;
  let stack: Stack;
  let doomed: ChildApp | undefined;
  let successor: TestApp | undefined;

  beforeAll(async () => {
    stack = await startApiWithChannel();
    doomed = await startChildApp(workerOf(stack.api, { JOB_LOCK_MS }));
  }, 60_000);
  afterAll(() => stopAll(stack, successor, doomed));

  it('loses nothing and duplicates nothing once another worker takes over', async () => {
    const { api, channel, db } = stack;
    const ids = Array.from({ length: MESSAGES }, () => wamid());
    const contacts = Array.from({ length: CONTACTS }, (_, c) => ({ profile: { name: `Customer ${c}` }, wa_id: `5521988880${String(c).padStart(3, '0')}` }));
    const messages = ids.map((id, i) => ({ from: contacts[i % CONTACTS]!.wa_id, id, timestamp: unixSeconds(), type: 'text', text: { body: `message ${i}` } }));
    expect((await postWebhook(api.url, messagesEnvelope(channel, { contacts, messages }))).status).toBe(200);

    // Kill a tenth of the way in: well inside the batch, with items both done and still to do.
    const count = async () => (await one<{ n: number }>(db, 'select count(*)::int as n from message')).n;
    await waitFor(async () => (await count()) >= MESSAGES / 10, { timeoutMs: 30_000, intervalMs: 5, what: 'the worker to store a tenth of the batch' });
    doomed!.process.kill('SIGKILL');
    expect(await doomed!.exited).toEqual({ code: null, signal: 'SIGKILL' });

    const storedByTheDeadWorker = await count();
    expect(storedByTheDeadWorker).toBeGreaterThanOrEqual(MESSAGES / 10);
    // If this fails the batch was done before the kill; the test then proved nothing.
    expect(storedByTheDeadWorker).toBeLessThan(MESSAGES);
    expect(await inbox(db)).toEqual({ RECEIVED: 1 });

    successor = await startTestApp(workerOf(api, { JOB_LOCK_MS }));
    await waitFor(async () => (await inbox(db)).PROCESSED === 1, { timeoutMs: 45_000, intervalMs: 100, what: 'the delivery PROCESSED by the successor' });
    await webhookQueueDrained(api);

    expect(await processed(db)).toEqual({ wamids: [...ids].sort(), events: { total: MESSAGES, wamids: MESSAGES } });
    expect(await one(db, 'select count(*)::int as contacts, (select count(*)::int from conversation) as conversations from contact')).toEqual({
      contacts: CONTACTS,
      conversations: CONTACTS,
    });
    expect(await one(db, `select count(*)::int as n from conversation_event where type = 'CONVERSATION_OPENED'`)).toEqual({ n: CONTACTS });
  }, 90_000);
});

describe('Redis restarting while deliveries arrive', () => {
  let redis: ThrowawayRedis;
  let app: TestApp | undefined;
  let channel: ChannelRef;
  let db: Client | undefined;

  beforeAll(async () => {
    // A Redis of our own to stop: api and worker in one process, as `npm start` runs them.
    redis = await startRedisServer();
    app = await startTestApp({ REDIS_URL: redis.url });
    const org = await createOrganization(app);
    channel = (await app.client(org.ownerKey).request<any>(CREATE_CHANNEL, { input: channelInput() })).createChannel.channel;
    db = new Client({ connectionString: app.config.database.url });
    await db.connect();
  });
  afterAll(async () => {
    await redis?.start().catch(() => undefined);
    await db?.end();
    await app?.stop();
    await redis?.dispose();
  });

  it('acknowledges a durable delivery while Redis is down, and processes it once Redis is back, empty', async () => {
    await redis.stop();
    const id = wamid();
    // Bounded, so that a hang fails here with a clear message: the answer must not wait for Redis.
    const body = JSON.stringify(textMessage(channel, '5511999990200', 'while Redis is down', { id }));
    const response = await fetch(`${app!.url}/webhooks/meta`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, TEST_SECRETS.META_APP_SECRET) },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status).toBe(200);
    expect(await inbox(db!)).toEqual({ RECEIVED: 1 });

    await redis.start();
    await waitFor(async () => (await inbox(db!)).PROCESSED === 1, { timeoutMs: 30_000, intervalMs: 100, what: 'the delivery PROCESSED after Redis returned' });
    expect(await processed(db!)).toEqual({ wamids: [id], events: { total: 1, wamids: 1 } });
  }, 60_000);
});
