import { randomUUID } from 'node:crypto';
import type { Job } from 'bullmq';
import { gql } from 'graphql-request';
import { Client } from 'pg';
import { systemEm } from '../../src/db/entity-manager';
import { DeliveryInbox } from '../../src/services/delivery-inbox';
import { sweepDeliveries } from '../../src/services/inbound/delivery-maintenance.service';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { channelInput, createOrganization, type TestOrganization } from '../helpers/fixtures';
import { postWebhook, textMessage, wamid, type ChannelRef } from '../helpers/meta-webhook';
import { waitFor, waitForQueuesIdle } from '../helpers/wait';

const CREATE_CHANNEL = gql`
  mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id phoneNumberId wabaId displayPhoneNumber } } }
`;

const CONVERSATIONS = gql`
  query {
    conversations(first: 10) {
      totalCount
      edges { node { id status contact { waId name } window { isOpen expiresAt } lastMessage { wamid text type direction status } } }
    }
  }
`;

describe('webhook ingest: a text message end to end', () => {
  let app: TestApp;
  let org: TestOrganization;
  let channel: ChannelRef;

  beforeAll(async () => {
    app = await startTestApp();
    org = await createOrganization(app);
    const result = await app.client(org.ownerKey).request<any>(CREATE_CHANNEL, { input: channelInput() });
    channel = result.createChannel.channel;
  });
  afterAll(() => app?.stop());

  it('stores the message, opens the conversation and the 24-hour window', async () => {
    const id = wamid();
    const sentAt = new Date(Date.now() - 60_000);
    const response = await postWebhook(app.url, textMessage(channel, '5511999990001', 'Olá 👋 {{email}} </script>', { id, at: sentAt }));
    expect(response.status).toBe(200);
    await waitForQueuesIdle(app.queues);

    const result = await app.client(org.ownerKey).request<any>(CONVERSATIONS);
    expect(result.conversations.totalCount).toBe(1);
    const node = result.conversations.edges[0].node;
    expect(node.contact).toEqual({ waId: '5511999990001', name: 'Maria Souza' });
    expect(node.lastMessage).toEqual({ wamid: id, text: 'Olá 👋 {{email}} </script>', type: 'TEXT', direction: 'IN', status: 'RECEIVED' });
    expect(node.window.isOpen).toBe(true);
    expect(new Date(node.window.expiresAt).getTime()).toBe(Math.floor(sentAt.getTime() / 1000) * 1000 + 24 * 3600 * 1000);
  });

  it('stores a message delivered twice only once', async () => {
    const id = wamid();
    const body = textMessage(channel, '5511999990002', 'twice', { id });
    const [first, second] = await Promise.all([postWebhook(app.url, body), postWebhook(app.url, body)]);
    expect([first.status, second.status]).toEqual([200, 200]);
    await waitForQueuesIdle(app.queues);
    const result = await app.client(org.ownerKey).request<any>(gql`query ($w: String) { messages(filter: { wamid: $w }) { totalCount } }`, { w: id });
    expect(result.messages.totalCount).toBe(1);
  });

  it('refuses a bad signature and stores nothing', async () => {
    const before = await app.orm.em.fork().getConnection().execute('select count(*)::int as n from webhook_delivery');
    const response = await postWebhook(app.url, textMessage(channel, '5511999990003', 'forged'), { signature: 'sha256=' + '0'.repeat(64) });
    expect(response.status).toBe(401);
    const after = await app.orm.em.fork().getConnection().execute('select count(*)::int as n from webhook_delivery');
    expect(after[0].n).toBe(before[0].n);
  });
});

describe('webhook ingest: group commits', () => {
  let app: TestApp;
  let channel: ChannelRef;
  /** Our own connection to the app's database. */
  let db: Client;

  beforeAll(async () => {
    app = await startTestApp();
    const org = await createOrganization(app);
    channel = (await app.client(org.ownerKey).request<any>(CREATE_CHANNEL, { input: channelInput() })).createChannel.channel;
    db = new Client({ connectionString: app.config.database.url });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  /** A lock every INSERT into the inbox waits for, held on a connection of its own until released. */
  async function lockInbox() {
    const locker = new Client({ connectionString: app.config.database.url });
    await locker.connect();
    await locker.query('begin');
    await locker.query('lock table webhook_delivery in share mode');
    return async () => {
      await locker.query('commit');
      await locker.end();
    };
  }

  const insertsWaiting = async () =>
    (
      await db.query(
        `select count(*)::int as n from pg_stat_activity
         where datname = current_database() and wait_event_type = 'Lock' and query like 'insert into webhook_delivery%'`,
      )
    ).rows[0].n as number;

  const deliveriesOf = (job: Job) => [job.data.deliveryId as string, ...((job.data.batchedWith as string[] | undefined) ?? [])];

  /**
   * Deliveries into `inbox` while the inbox table is locked: the first alone, whose INSERT then
   * waits on the lock, and the others at once, which wait in the inbox and share the next INSERT.
   * Resolves with the delivery ids once all have been answered.
   */
  async function acceptBehindTheLock(inbox: DeliveryInbox, wamids: string[]): Promise<string[]> {
    const release = await lockInbox();
    const accepted: Promise<string>[] = [];
    const accept = (i: number) => inbox.accept(JSON.stringify(textMessage(channel, `55119999902${i}0`, `batched ${i}`, { id: wamids[i] })));
    try {
      accepted.push(accept(0));
      await waitFor(async () => (await insertsWaiting()) === 1, { what: 'the first group commit to wait on the lock' });
      for (let i = 1; i < wamids.length; i++) accepted.push(accept(i));
      // The inbox starts flushes on the next turn of the event loop, before this callback runs.
      await new Promise((resolve) => setImmediate(resolve));
      expect(await insertsWaiting()).toBe(1);
    } finally {
      await release();
    }
    return Promise.all(accepted);
  }

  async function jobsOf(deliveryIds: string[]): Promise<Job[]> {
    const jobs = await app.queues.get('webhook').getJobs(['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized']);
    return jobs.filter((job) => deliveriesOf(job).some((id) => deliveryIds.includes(id)));
  }

  async function expectAllProcessed(deliveryIds: string[], wamids: string[]) {
    await waitForQueuesIdle(app.queues);
    const { rows } = await db.query('select status, attempts from webhook_delivery where id = any($1::uuid[])', [deliveryIds]);
    expect(rows).toEqual(deliveryIds.map(() => ({ status: 'PROCESSED', attempts: 1 })));
    const stored = await db.query('select wamid from message where wamid = any($1) order by wamid', [wamids]);
    expect(stored.rows.map((row) => row.wamid)).toEqual([...wamids].sort());
  }

  it('with one delivery per job, gives every delivery of a group commit its own job, keyed by the delivery, and processes them all', async () => {
    // The app's own inbox sits behind HTTP; one of our own shows exactly which deliveries shared an INSERT.
    const wamids = Array.from({ length: 6 }, () => wamid());
    const deliveryIds = await acceptBehindTheLock(new DeliveryInbox(app.orm, app.queues, app.log, { deliveriesPerJob: 1 }), wamids);

    const jobs = await jobsOf(deliveryIds);
    expect(jobs.map((job) => [job.id, deliveriesOf(job)]).sort()).toEqual(deliveryIds.map((id) => [id, [id]]).sort());
    await expectAllProcessed(deliveryIds, wamids);
  });

  it('by default, enqueues a group commit as one job that the worker processes as a batch', async () => {
    const wamids = Array.from({ length: 6 }, () => wamid());
    const deliveryIds = await acceptBehindTheLock(new DeliveryInbox(app.orm, app.queues, app.log), wamids);

    const jobs = await jobsOf(deliveryIds);
    expect(jobs.flatMap(deliveriesOf).sort()).toEqual([...deliveryIds].sort());
    // The five that waited behind the first INSERT shared the next one, so they share a job.
    expect(jobs.length).toBeLessThanOrEqual(2);
    expect(Math.max(...jobs.map((job) => deliveriesOf(job).length))).toBeGreaterThanOrEqual(wamids.length - 1);
    for (const job of jobs) expect(job.id).toBe(job.data.deliveryId);
    await expectAllProcessed(deliveryIds, wamids);
  });

  it('starts a second group commit while one is in flight only with a full batch, and answers every delivery once its row committed', async () => {
    const inbox = new DeliveryInbox(app.orm, app.queues, app.log, { maxBatchRows: 3, maxConcurrentFlushes: 2 });
    const wamids = Array.from({ length: 8 }, () => wamid());
    const answered: string[] = [];
    const accept = (i: number) =>
      inbox.accept(JSON.stringify(textMessage(channel, `55119999903${i}0`, `full batch ${i}`, { id: wamids[i] }))).then((id) => {
        answered.push(id);
        return id;
      });
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    const release = await lockInbox();
    const accepted: Promise<string>[] = [];
    try {
      accepted.push(accept(0));
      await waitFor(async () => (await insertsWaiting()) === 1, { what: 'the first group commit to wait on the lock' });
      // Two more are not a full batch: they wait in the inbox rather than start a commit of their own.
      accepted.push(accept(1), accept(2));
      await settle();
      expect(await insertsWaiting()).toBe(1);
      // The third makes a full batch, which starts the second commit; the rest wait for a free one.
      accepted.push(...[3, 4, 5, 6, 7].map(accept));
      await waitFor(async () => (await insertsWaiting()) === 2, { what: 'a second group commit to wait on the lock' });
      await settle();
      expect(await insertsWaiting()).toBe(2);
      expect(answered).toEqual([]);
    } finally {
      await release();
    }
    const deliveryIds = await Promise.all(accepted);
    const { rows } = await db.query('select count(distinct received_at)::int as commits from webhook_delivery where id = any($1::uuid[])', [deliveryIds]);
    // 1, then 3 (the full batch), then the remaining 4 in batches of at most 3.
    expect(rows[0].commits).toBe(4);
    await expectAllProcessed(deliveryIds, wamids);
  });

  it('marks the deliveries that still fail on the last attempt FAILED, and processes the others of the batch', async () => {
    // Never accepted by the endpoint (it is not JSON), so it stands in for a delivery processing cannot handle.
    const broken = randomUUID();
    const fine = randomUUID();
    const id = wamid();
    await db.query(`insert into webhook_delivery (id, raw_body, received_at) values ($1, $2, now()), ($3, $4, now())`, [
      broken,
      'not json at all',
      fine,
      JSON.stringify(textMessage(channel, '5511999990301', 'beside a broken one', { id })),
    ]);

    await app.queues.add('webhook', 'process-delivery', { deliveryId: broken, batchedWith: [fine] }, { jobId: `last-${broken}`, attempts: 1 });
    await waitForQueuesIdle(app.queues);

    expect(await (await app.queues.get('webhook').getJob(`last-${broken}`))!.getState()).toBe('failed');
    const { rows } = await db.query('select id, status, last_error from webhook_delivery where id = any($1::uuid[])', [[broken, fine]]);
    expect(Object.fromEntries(rows.map((row) => [row.id, { status: row.status, failed: Boolean(row.last_error) }]))).toEqual({
      [broken]: { status: 'FAILED', failed: true },
      [fine]: { status: 'PROCESSED', failed: false },
    });
    expect((await db.query('select count(*)::int as n from message where wamid = $1', [id])).rows[0].n).toBe(1);
  });

  it('processes what is left of a batch job and skips deliveries already processed or gone', async () => {
    const processedBefore = (await db.query(`select id from webhook_delivery where status = 'PROCESSED' limit 1`)).rows[0].id as string;
    const fresh = randomUUID();
    const id = wamid();
    await db.query(`insert into webhook_delivery (id, raw_body, received_at) values ($1, $2, now())`, [
      fresh,
      JSON.stringify(textMessage(channel, '5511999990300', 'in a retried batch', { id })),
    ]);
    const messagesBefore = (await db.query('select count(*)::int as n from message')).rows[0].n as number;

    await app.queues.add('webhook', 'process-delivery', { deliveryId: processedBefore, batchedWith: [randomUUID(), fresh] }, { jobId: `retry-${fresh}` });
    await waitForQueuesIdle(app.queues);

    const job = await app.queues.get('webhook').getJob(`retry-${fresh}`);
    expect(await job!.getState()).toBe('completed');
    const { rows } = await db.query('select id, status, attempts from webhook_delivery where id = any($1::uuid[]) order by id', [[processedBefore, fresh]]);
    expect(rows).toEqual(
      [
        { id: processedBefore, status: 'PROCESSED', attempts: 1 },
        { id: fresh, status: 'PROCESSED', attempts: 1 },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
    expect((await db.query('select count(*)::int as n from message')).rows[0].n).toBe(messagesBefore + 1);
  });

  it("does not let the sweeper re-drive a delivery that waits in another delivery's job, and does once that job is gone", async () => {
    const queue = app.queues.get('webhook');
    const [first, second] = [randomUUID(), randomUUID()];
    const wamids = [wamid(), wamid()];
    await queue.pause();
    try {
      for (const [index, id] of [first, second].entries()) {
        await db.query(`insert into webhook_delivery (id, raw_body, received_at) values ($1, $2, now())`, [
          id,
          JSON.stringify(textMessage(channel, `551199999040${index}`, 'waiting in a batch', { id: wamids[index] })),
        ]);
      }
      await queue.add('process-delivery', { deliveryId: first, batchedWith: [second] }, { jobId: first });
      const em = systemEm(app.orm);
      expect(await sweepDeliveries(em, app.queues, 0)).toBe(0);

      // The job is lost (a Redis restart without persistence): both are re-driven, each under its own id.
      await (await queue.getJob(first))!.remove();
      expect(await sweepDeliveries(em, app.queues, 0)).toBeGreaterThanOrEqual(2);
      expect(await queue.getJob(second)).toBeDefined();
    } finally {
      await queue.resume();
    }
    await expectAllProcessed([first, second], wamids);
  });
});
