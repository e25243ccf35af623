import type { Job } from 'bullmq';
import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { PAIR_BURST } from '../../src/services/outbound/send-governor';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import type { ChildApp } from '../helpers/child-app';
import { createOrganization, type TestOrganization } from '../helpers/fixtures';
import {
  SEND_MESSAGE,
  acceptedFor,
  createChannel,
  customerWrites,
  isSent,
  query,
  requestsFor,
  sendJob,
  sendJobIn,
  startWorkerProcess,
  storedMessage,
  waitForMessage,
  type Customer,
  waitForValue,
  type TestChannel,
} from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';
import { waitFor } from '../helpers/wait';

/**
 * Messages of one conversation leave in the order they were written, and a message survives the
 * loss of its job or of the worker sending it, without reaching the customer twice.
 */

/** The send job once finished; a job still waiting out a reconcile window is promoted, since its message has already left. */
function completedJob(app: TestApp, messageId: string): Promise<Job> {
  return waitForValue(
    async () => {
      // It may leave the delayed set on its own between the two reads: then there is nothing to promote.
      await (await sendJobIn(app, messageId, 'delayed'))?.promote().catch(() => undefined);
      return sendJobIn(app, messageId, 'completed');
    },
    { what: 'the send job completed', timeoutMs: 20_000, intervalMs: 200 },
  );
}

describe('outbound order and lost jobs (one process)', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let org: TestOrganization;
  let channel: TestChannel;

  beforeAll(async () => {
    ({ app, fake, stop } = await startAppWithFakeGraph());
    org = await createOrganization(app);
    channel = await createChannel(app, fake, org.ownerKey);
  });
  afterAll(() => stop?.());

  const send = async (customer: Customer, text: string): Promise<string> =>
    (await app.client(org.ownerKey).request<any>(SEND_MESSAGE, { input: { conversationId: customer.conversationId, text } })).sendMessage.message.id;

  it('leaves in creation order even when the first message is retried', async () => {
    const customer = await customerWrites(app, channel);
    fake.failNext(131000, { times: 1, to: customer.waId });
    // The failed attempt and the sends together stay within the pair limit's burst, so the order
    // seen is the pipeline's own and not the pair limit's pacing (outbound-limits covers that).
    const ids: string[] = [];
    for (let i = 1; i < PAIR_BURST; i += 1) ids.push(await send(customer, `Part ${i}`));

    await Promise.all(ids.map((id) => waitForMessage(app, id, isSent, `message ${id} sent`)));
    const arrivals = fake.requests
      .filter((r) => r.kind === 'send' && (r.body as { to: string }).to === `+${customer.waId}`)
      .map((r) => ({ id: (r.body as { biz_opaque_callback_data: string }).biz_opaque_callback_data, accepted: r.wamid !== undefined }));
    expect(arrivals).toEqual([{ id: ids[0], accepted: false }, ...ids.map((id) => ({ id, accepted: true }))]);
  });

  it('the sweeper re-enqueues a QUEUED message whose job was lost, and only that one', async () => {
    const customer = await customerWrites(app, channel);
    const outbound = app.queues.get('outbound');
    await outbound.pause();
    let lost = '';
    let alive = '';
    try {
      lost = await send(customer, 'my job vanished');
      alive = await send(customer, 'my job is fine');
      // As if the process died between the commit and the enqueue.
      await (await sendJob(app, lost)).remove();
      await query(app, `update message set updated_at = now() - interval '10 minutes' where id in (?, ?)`, [lost, alive]);

      const sweep = await app.queues.add('maintenance', 'sweep-outbound', {});
      const swept = await waitForValue(async () => ((await sweep.getState()) === 'completed' ? (await outbound.getJob(`send-${lost}`)) ?? null : null), {
        what: 'the sweep done and the lost job back',
      });
      expect(swept.data).toEqual({ messageId: lost });
    } finally {
      await outbound.resume();
    }

    await waitForMessage(app, lost, isSent, 'the swept message sent');
    await waitForMessage(app, alive, isSent, 'the other message sent');
    expect(acceptedFor(fake, lost)).toHaveLength(1);
    expect(acceptedFor(fake, alive)).toHaveLength(1);
  });
  it('the sweeper also revives a message whose job was lost while its outcome was unknown', async () => {
    const customer = await customerWrites(app, channel);
    const outbound = app.queues.get('outbound');
    await outbound.pause();
    let messageId = '';
    try {
      messageId = await send(customer, 'sent into the void');
      // As if a request had timed out long ago and Redis then lost the job waiting to reconcile it.
      await (await sendJob(app, messageId)).remove();
      await query(
        app,
        `update message set send_state = 'UNCERTAIN', send_attempts = 1, send_started_at = now() - interval '10 minutes',
           updated_at = now() - interval '10 minutes' where id = ?`,
        [messageId],
      );
      const sweep = await app.queues.add('maintenance', 'sweep-outbound', {});
      await waitForValue(async () => (await sweep.getState()) === 'completed', { what: 'the sweep done' });
      expect(await outbound.getJob(`send-${messageId}`)).toBeDefined();
    } finally {
      await outbound.resume();
    }

    // No status webhook came in the reconcile window: it is sent (again, as far as we know), once.
    const sent = await waitForMessage(app, messageId, isSent, 'the revived message sent');
    expect(sent).toMatchObject({ sendAttempts: 2, sendState: 'DONE' });
    expect(acceptedFor(fake, messageId)).toHaveLength(1);
  });
});

describe('outbound: a worker killed mid-send', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let org: TestOrganization;
  let channel: TestChannel;
  const workers: ChildApp[] = [];
  /**
   * A short lock so the dead worker's job is taken over within seconds; a reconcile window longer
   * than the second worker takes to boot, so the status webhook (not a resend) settles the message.
   */
  const WORKER_ENV = { JOB_LOCK_MS: '2000', SEND_RECONCILE_MS: '30000' };

  beforeAll(async () => {
    // The statuses come well after the kill, so it is the second worker that reconciles.
    ({ app, fake, stop } = await startAppWithFakeGraph({ ROLE: 'api' }, { autoStatuses: { delivered: true, read: false, delayMs: 1500 } }));
    org = await createOrganization(app);
    channel = await createChannel(app, fake, org.ownerKey);
    workers.push(await startWorkerProcess(app, WORKER_ENV));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await stop?.();
  });

  it('neither loses the message nor sends it twice when Meta had accepted it', async () => {
    const [first] = workers;
    const customer = await customerWrites(app, channel);
    fake.delayNext(0, { hang: true, to: customer.waId });
    const result = await app.client(org.ownerKey).request<any>(SEND_MESSAGE, { input: { conversationId: customer.conversationId, text: 'Your refund is on its way' } });
    const messageId: string = result.sendMessage.message.id;

    await waitFor(() => acceptedFor(fake, messageId).length === 1, { what: 'the send accepted by the fake, its answer held back' });
    first!.process.kill('SIGKILL');
    await first!.exited;
    expect(await storedMessage(app, messageId)).toMatchObject({ status: 'QUEUED', sendState: 'IN_FLIGHT', wamid: null });

    workers.push(await startWorkerProcess(app, WORKER_ENV));
    const settled = await waitForMessage(app, messageId, (m) => m.status === 'DELIVERED', 'the message reconciled by its status webhooks', 30_000);
    const job = await completedJob(app, messageId);

    expect(settled.wamid).toBe(acceptedFor(fake, messageId)[0]!.wamid);
    expect(job.stalledCounter).toBe(1);
    expect(job.returnvalue).toBe('already left');
    expect(requestsFor(fake, messageId)).toHaveLength(1);
  }, 90_000);
});
