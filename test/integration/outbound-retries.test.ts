import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Job } from 'bullmq';
import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { defaultTitle } from '../../src/devtools/fake-graph/graph-error';
import { classifyMetaError } from '../../src/domain/retry-policy';
import { QUEUE_DEFAULTS } from '../../src/jobs/queues';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import { createOrganization, type TestOrganization } from '../helpers/fixtures';
import {
  SEND_MESSAGE,
  acceptedFor,
  createChannel,
  customerWrites,
  isSent,
  query,
  requestsFor,
  sendJobIn,
  storedMessage,
  waitForMessage,
  type Customer,
  waitForValue,
  type TestChannel,
} from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';

/**
 * What the send worker does with each answer of the Graph API (notes/meta-cloud-api.md section 8):
 * retryable codes are retried after at least Meta's wait and then sent; permanent ones fail at once
 * with Meta's code and title; an unknown outcome (timeout) is reconciled, not blindly repeated.
 */

/**
 * A load balancer in front of the fake Graph API: it can answer a bare 5xx page with no Meta error
 * body, as a proxy in front of Meta does, and forwards everything else untouched.
 */
class Gateway {
  target = '';
  private bareFailures: { status: number; remaining: number } | null = null;
  answeredBare = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<Gateway> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const gateway = new Gateway(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req, res) => void gateway.handle(req, res));
    return gateway;
  }

  failNextBare(status: number, times = 1): void {
    this.bareFailures = { status, remaining: times };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (this.bareFailures && this.bareFailures.remaining > 0) {
      this.bareFailures.remaining -= 1;
      this.answeredBare += 1;
      res.writeHead(this.bareFailures.status, { 'content-type': 'text/html' }).end('<html><body>Service Unavailable</body></html>');
      return;
    }
    try {
      const answer = await fetch(`${this.target}${req.url}`, {
        method: req.method,
        headers: { authorization: req.headers.authorization ?? '', 'content-type': req.headers['content-type'] ?? 'application/json' },
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await answer.arrayBuffer()));
    } catch {
      res.destroy();
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const RETRYABLE = [130429, 131056, 80007, 4, 1, 2, 131000, 131016, 131057];
const PERMANENT = [131047, 131026, 131048, 131049, 131050, 131051, 132000, 132001, 132012, 132015, 132016, 100, 368, 190];
/** Longer waits are not sat through: the test checks the job waits at least that long, then promotes it. */
const LONGEST_REAL_WAIT_MS = 2_000;

describe('outbound retries: Meta error codes', () => {
  let gateway: Gateway;
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let org: TestOrganization;
  let channel: TestChannel;

  beforeAll(async () => {
    gateway = await Gateway.start();
    ({ app, fake, stop } = await startAppWithFakeGraph({ META_GRAPH_URL: `${gateway.url}/v25.0` }));
    gateway.target = fake.url;
    org = await createOrganization(app);
    channel = await createChannel(app, fake, org.ownerKey);
  });
  afterAll(async () => {
    await stop?.();
    await gateway?.close();
  });

  async function send(customer: Customer, text: string): Promise<string> {
    const result = await app.client(org.ownerKey).request<any>(SEND_MESSAGE, { input: { conversationId: customer.conversationId, text } });
    return result.sendMessage.message.id;
  }

  /** The send job once it sits in the delayed set after `attemptsMade` failed attempts. */
  const delayedAfter = (messageId: string, attemptsMade: number) =>
    waitForValue(
      async () => {
        const job = await sendJobIn(app, messageId, 'delayed');
        return job?.attemptsMade === attemptsMade ? job : null;
      },
      { what: `the send job delayed after ${attemptsMade} failed attempt(s)`, timeoutMs: 20_000 },
    );

  describe.each(RETRYABLE)('retryable code %i', (code) => {
    const { waitMs } = classifyMetaError(code, 400) as { waitMs: number };

    it(`waits at least ${waitMs} ms, still QUEUED, then is sent`, async () => {
      const customer = await customerWrites(app, channel);
      fake.failNext(code, { times: 1, to: customer.waId });
      const messageId = await send(customer, `retry after ${code}`);

      const job: Job = await delayedAfter(messageId, 1);
      expect(job.delay).toBeGreaterThanOrEqual(waitMs);
      expect(job.failedReason).toContain(`#${code}`);
      expect(await storedMessage(app, messageId)).toMatchObject({ status: 'QUEUED', wamid: null, errorCode: null });
      if (waitMs > LONGEST_REAL_WAIT_MS) await job.promote();

      const sent = await waitForMessage(app, messageId, isSent, 'the retried message sent');
      const requests = requestsFor(fake, messageId);
      expect(requests.map((r) => r.response.status)).toEqual([expect.any(Number), 200]);
      expect((requests[0]!.response.body as { error: { code: number } }).error.code).toBe(code);
      expect(sent.wamid).toBe(requests[1]!.wamid);
      expect(sent.errorCode).toBeNull();
    });
  });

  describe.each(PERMANENT)('permanent code %i', (code) => {
    it('fails at once with the code and title, after exactly one request', async () => {
      const customer = await customerWrites(app, channel);
      fake.failNext(code, { times: 1, to: customer.waId });
      const messageId = await send(customer, `fail with ${code}`);

      const failed = await waitForMessage(app, messageId, (m) => m.status === 'FAILED', 'the message FAILED');
      expect(failed).toMatchObject({ errorCode: String(code), errorTitle: defaultTitle(code), wamid: null });
      const job = await finishedJob(app, messageId, 'failed');
      expect(job.attemptsMade).toBe(1);
      expect(requestsFor(fake, messageId)).toHaveLength(1);
    });
  });

  it('a 5xx without a Meta error body is retried', async () => {
    const customer = await customerWrites(app, channel);
    gateway.failNextBare(503);
    const messageId = await send(customer, 'through a flaky proxy');

    const job = await delayedAfter(messageId, 1);
    expect(job.failedReason).toContain('503');
    const sent = await waitForMessage(app, messageId, isSent, 'the message sent after the 503');
    expect(gateway.answeredBare).toBe(1);
    expect(acceptedFor(fake, messageId)).toHaveLength(1);
    expect(sent.errorCode).toBeNull();
  });

  it('ends FAILED with the last code once every attempt is spent', async () => {
    const attempts = QUEUE_DEFAULTS.outbound.jobOptions.attempts!;
    const customer = await customerWrites(app, channel);
    fake.failNext(131000, { times: attempts, to: customer.waId });
    const messageId = await send(customer, 'Meta keeps failing');

    // Each backoff is skipped by promoting the job; the pair limit may still pace the later attempts.
    for (let made = 1; made < attempts; made += 1) await (await delayedAfter(messageId, made)).promote();

    const failed = await waitForMessage(app, messageId, (m) => m.status === 'FAILED', 'the message FAILED after the last attempt');
    expect(failed).toMatchObject({ errorCode: '131000', errorTitle: defaultTitle(131000) });
    expect((await finishedJob(app, messageId, 'failed')).attemptsMade).toBe(attempts);
    const requests = requestsFor(fake, messageId);
    expect(requests).toHaveLength(attempts);
    expect(requests.every((r) => r.wamid === undefined)).toBe(true);
  }, 60_000);
});

/**
 * A request that times out may have reached Meta. Sending it again could deliver it twice, so the
 * message waits SEND_RECONCILE_MS for the status webhook, which carries our message id as
 * biz_opaque_callback_data and so tells whether (and as which wamid) it left. Only when no status
 * comes within the window is it sent again: the deliberate trade-off of an API without idempotency
 * keys is a rare duplicate rather than a message silently lost.
 */
describe('outbound retries: a send whose outcome is unknown', () => {
  // Short, yet long enough that a busy test machine does not time out the answers that do come.
  const TIMEOUT_MS = 1_000;
  const RECONCILE_MS = 3_000;
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let org: TestOrganization;
  let channel: TestChannel;

  beforeAll(async () => {
    ({ app, fake, stop } = await startAppWithFakeGraph({ GRAPH_TIMEOUT_MS: String(TIMEOUT_MS), SEND_RECONCILE_MS: String(RECONCILE_MS) }));
    org = await createOrganization(app);
    channel = await createChannel(app, fake, org.ownerKey);
  });
  afterAll(() => stop?.());

  async function sendSlowlyAccepted(): Promise<string> {
    const customer = await customerWrites(app, channel);
    // Accepted by the fake, but answered only after we have given up and sent again.
    fake.delayNext(TIMEOUT_MS + RECONCILE_MS + 2_000, { to: customer.waId });
    const result = await app.client(org.ownerKey).request<any>(SEND_MESSAGE, { input: { conversationId: customer.conversationId, text: 'slow answer' } });
    return result.sendMessage.message.id;
  }

  it.each([
    ['before our timeout', 0],
    ['after our timeout, within the window', TIMEOUT_MS + 500],
  ])('is reconciled by status webhooks arriving %s, and never sent twice', async (_when, delayMs) => {
    fake.setAutoStatuses({ delivered: true, read: false, delayMs });
    const messageId = await sendSlowlyAccepted();

    const reconciled = await waitForMessage(app, messageId, (m) => m.status === 'DELIVERED', 'the message DELIVERED by its status webhooks');
    // The job comes back after the window, finds the message gone, and does not send again.
    expect((await finishedJob(app, messageId, 'completed')).returnvalue).toBe('already left');

    const accepted = acceptedFor(fake, messageId);
    expect(accepted).toHaveLength(1);
    expect(requestsFor(fake, messageId)).toHaveLength(1);
    expect(await storedMessage(app, messageId)).toMatchObject({ ...reconciled, wamid: accepted[0]!.wamid, sendState: 'DONE', sendAttempts: 1, errorCode: null });
  });

  it('without any status webhook, is sent again once the reconcile window has passed', async () => {
    fake.setAutoStatuses(false);
    const messageId = await sendSlowlyAccepted();

    const sent = await waitForMessage(app, messageId, isSent, 'the message sent again');
    const accepted = acceptedFor(fake, messageId);
    expect(accepted).toHaveLength(2);
    expect(sent.wamid).toBe(accepted[1]!.wamid);
    expect(sent.sendAttempts).toBe(2);
    expect(app.logs.some((line) => line.includes('no status webhook after an unknown send outcome'))).toBe(true);
  });

  it('is not sent again when Meta took it but recording that failed: its status webhook records it', async () => {
    // A real fault in the database: updates that give a message its wamid fail while the flag row exists.
    await query(app, `create table test_refuse_wamid (flag int)`);
    await query(app, `insert into test_refuse_wamid values (1)`);
    await query(
      app,
      `create function test_refuse_wamid() returns trigger language plpgsql as $$
       begin if exists (select 1 from test_refuse_wamid) then raise exception 'wamid refused by the test'; end if; return new; end $$`,
    );
    await query(
      app,
      `create trigger test_refuse_wamid before update on message for each row
       when (old.wamid is null and new.wamid is not null) execute function test_refuse_wamid()`,
    );
    try {
      // The statuses come after the fault is gone (the test lifts it once the first attempt failed).
      fake.setAutoStatuses({ delivered: true, read: false, delayMs: 1_500 });
      const customer = await customerWrites(app, channel);
      const result = await app.client(org.ownerKey).request<any>(SEND_MESSAGE, { input: { conversationId: customer.conversationId, text: 'taken, not recorded' } });
      const messageId: string = result.sendMessage.message.id;

      const refused = await waitForValue(
        async () => ((await app.queues.get('outbound').getJob(`send-${messageId}`))?.attemptsMade ?? 0) >= 1 && (await storedMessage(app, messageId)),
        { what: 'the first attempt to fail recording the acceptance' },
      );
      expect(refused).toMatchObject({ status: 'QUEUED', wamid: null, sendState: 'IN_FLIGHT' });
      await query(app, `delete from test_refuse_wamid`);

      const delivered = await waitForMessage(app, messageId, (m) => m.status === 'DELIVERED', 'the message DELIVERED by its status webhooks');
      const accepted = acceptedFor(fake, messageId);
      expect(accepted).toHaveLength(1);
      expect(requestsFor(fake, messageId)).toHaveLength(1);
      expect(delivered).toMatchObject({ wamid: accepted[0]!.wamid, sendState: 'DONE', sendAttempts: 1 });
      // The job comes back after the window and finds the message gone.
      expect((await finishedJob(app, messageId, 'completed')).returnvalue).toBe('already left');
    } finally {
      await query(app, `drop trigger if exists test_refuse_wamid on message`);
      await query(app, `drop function if exists test_refuse_wamid()`);
      await query(app, `drop table if exists test_refuse_wamid`);
    }
  });

  it('is not sent again after its last attempt: FAILED, as the outcome stayed unknown', async () => {
    fake.setAutoStatuses(false);
    const outbound = app.queues.get('outbound');
    await outbound.pause();
    let messageId = '';
    try {
      messageId = await sendSlowlyAccepted();
      // As if every earlier attempt had ended the same way: sent, never answered, never reported.
      await query(app, `update message set send_attempts = ? where id = ?`, [QUEUE_DEFAULTS.outbound.jobOptions.attempts! - 1, messageId]);
    } finally {
      await outbound.resume();
    }

    const failed = await waitForMessage(app, messageId, (m) => m.status === 'FAILED', 'the message FAILED');
    expect(failed).toMatchObject({ errorCode: 'OUTCOME_UNKNOWN', wamid: null, sendState: 'DONE' });
    expect(failed.errorTitle).toMatch(/no status webhook/i);
    expect(requestsFor(fake, messageId)).toHaveLength(1);
  });
});

/** The message's send job once it is finished in `state`. */
function finishedJob(app: TestApp, messageId: string, state: 'completed' | 'failed'): Promise<Job> {
  return waitForValue(() => sendJobIn(app, messageId, state), { what: `the send job ${state}` });
}
