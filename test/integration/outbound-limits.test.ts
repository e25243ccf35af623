import type { FakeGraphApi, RecordedRequest } from '../../src/devtools/fake-graph';
import { PAIR_BURST } from '../../src/services/outbound/send-governor';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import type { ChildApp } from '../helpers/child-app';
import { createOrganization, type TestOrganization } from '../helpers/fixtures';
import {
  SEND_MESSAGE,
  UPDATE_CHANNEL,
  createChannel,
  customerWrites,
  startWorkerProcess,
  storedMessage,
  type Customer,
  waitForValue,
} from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';

/**
 * Meta's limits hold however many worker processes send: an api process that only queues, and two
 * worker processes sharing its database and Redis. Assertions compare counts and order of what
 * the fake Graph API received, never how fast it happened.
 */
describe('outbound limits across two worker processes', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let org: TestOrganization;
  const workers: ChildApp[] = [];

  beforeAll(async () => {
    ({ app, fake, stop } = await startAppWithFakeGraph({ ROLE: 'api' }));
    org = await createOrganization(app);
    workers.push(...(await Promise.all([startWorkerProcess(app), startWorkerProcess(app)])));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await stop?.();
  });

  const send = async (customer: Customer, text: string): Promise<string> =>
    (await app.client(org.ownerKey).request<any>(SEND_MESSAGE, { input: { conversationId: customer.conversationId, text } })).sendMessage.message.id;

  const callbackOf = (request: RecordedRequest) => (request.body as { biz_opaque_callback_data: string }).biz_opaque_callback_data;

  /** Send jobs this worker process finished, from its own /metrics. */
  async function sendsCompletedBy(worker: ChildApp): Promise<number> {
    const text = await (await fetch(`${worker.url}/metrics`)).text();
    const match = /^jobs_total\{queue="outbound",outcome="completed"\} (\d+)$/m.exec(text);
    return match ? Number(match[1]) : 0;
  }

  it("holds the channel's throughput limit when two processes send", async () => {
    // Low, so that the tolerance below (one interval, 333 ms) exceeds what a busy machine delays
    // one request more than the next; a limit not shared between the processes would show as 6.
    const limit = 3;
    const channel = await createChannel(app, fake, org.ownerKey);
    await app.client(org.ownerKey).request(UPDATE_CHANNEL, { input: { id: channel.id, throughputPerSecond: limit } });
    // One message per customer, so only the channel's limit applies, not the pair limit.
    const customers = await Promise.all(Array.from({ length: 6 * limit }, () => customerWrites(app, channel)));

    const ids = await Promise.all(customers.map((customer) => send(customer, 'Your order has shipped')));

    const sends = await waitForValue(() => (fake.sentMessages(channel.phoneNumberId).length === ids.length ? fake.sentMessages(channel.phoneNumberId) : null), {
      what: `all ${ids.length} sends at the fake`,
      timeoutMs: 30_000,
    });
    expect(new Set(sends.map(callbackOf))).toEqual(new Set(ids));

    // Our guarantee is at the moment a send leaves: a sliding one-second log in Redis, shared by
    // both processes, admits at most `limit`, and each message records its admission time
    // (send_started_at, Redis' clock). Were the log per process, this would see twice the limit.
    const busiest = (times: number[], windowMs: number) =>
      Math.max(...times.map((start) => times.filter((t) => t >= start && t < start + windowMs).length));
    const claimed = await app.orm.em
      .fork()
      .getConnection()
      .execute(`select extract(epoch from send_started_at) * 1000 as at from message where id in (${ids.map(() => "?").join(", ")})`, ids);
    const claimTimes = (claimed as { at: string }[]).map((row) => Number(row.at)).sort((a, b) => a - b);
    expect(busiest(claimTimes, 1000)).toBeLessThanOrEqual(limit);

    // At the fake, arrivals also carry each request's own HTTP hop, which a loaded machine
    // stretches unevenly; over the whole run the rate still stays at the limit.
    const arrivals = sends.map((r) => r.at.getTime()).sort((a, b) => a - b);
    const rate = ((arrivals.length - 1) * 1000) / (arrivals.at(-1)! - arrivals[0]!);
    expect(rate).toBeLessThanOrEqual(limit * 1.1);

    // Both processes took part: the limit was shared, not kept by a single sender. (A job counts
    // once it has recorded the wamid, a moment after the fake saw its request.)
    const perWorker = await waitForValue(
      async () => {
        const counts = await Promise.all(workers.map(sendsCompletedBy));
        return counts.reduce((a, b) => a + b, 0) === ids.length ? counts : null;
      },
      { what: 'every send job completed' },
    );
    expect(perWorker.every((n) => n > 0)).toBe(true);
  }, 60_000);

  it("the pair limit paces one recipient's burst without holding up another recipient", async () => {
    const channel = await createChannel(app, fake, org.ownerKey);
    const [a, b] = await Promise.all([customerWrites(app, channel), customerWrites(app, channel)]);
    const toA: string[] = [];
    const total = PAIR_BURST + 4;
    for (let i = 1; i <= total; i += 1) toA.push(await send(a!, `Update ${i} of ${total}`));
    const toB = await send(b!, 'Your code is 4217');

    // Wait for A's first message past the burst: it waits for the pair limit (about 6 s).
    const firstPaced = toA[PAIR_BURST]!;
    const sends = await waitForValue(
      () => {
        const order = fake.sentMessages(channel.phoneNumberId).map(callbackOf);
        return order.includes(firstPaced) && order.includes(toB) ? order : null;
      },
      { what: "B's message and A's first paced message sent", timeoutMs: 20_000 },
    );

    const sentToA = sends.filter((id) => toA.includes(id));
    expect(sentToA).toEqual(toA.slice(0, sentToA.length));
    expect(sends.indexOf(toB)).toBeLessThan(sends.indexOf(firstPaced));
    expect(sends.slice(0, sends.indexOf(toB)).filter((id) => toA.includes(id)).length).toBeLessThanOrEqual(PAIR_BURST);
    // A's later messages wait their turn; nothing was given up on.
    for (const id of toA.slice(sentToA.length)) expect(await storedMessage(app, id)).toMatchObject({ status: 'QUEUED', errorCode: null });
  }, 40_000);
});
