import { Client } from 'pg';
import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import type { ChildApp } from '../helpers/child-app';
import { createOrganization, type TestOrganization } from '../helpers/fixtures';
import { ChatCustomer, TALLY_FLOW, publishedFlow, setDefaultFlow } from '../helpers/flows';
import { postWebhook } from '../helpers/meta-webhook';
import { message } from '../helpers/meta-payloads';
import { createChannel, query, startWorkerProcess, type TestChannel } from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';
import { databaseUrl } from '../helpers/test-env';
import { waitFor } from '../helpers/wait';

/**
 * One customer's messages are processed one at a time even when they arrive together and land on
 * different worker processes, while other customers' conversations go on. The tally flow shows a
 * lost update or an interleaving in the replies.
 */

describe('one conversation at a time, across worker processes', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let org: TestOrganization;
  let channel: TestChannel;
  const workers: ChildApp[] = [];

  beforeAll(async () => {
    // The api process only ingests; two worker processes share the processing. A job per delivery,
    // so that messages arriving together are spread over both processes and the tests can count them.
    ({ app, fake, stop } = await startAppWithFakeGraph({ ROLE: 'api', WEBHOOK_DELIVERIES_PER_JOB: '1' }));
    // A pool as large as production's default, so transactions queued on one conversation's lock
    // cannot take every connection of a worker.
    workers.push(...(await Promise.all([startWorkerProcess(app, { DATABASE_POOL_MAX: '20' }), startWorkerProcess(app, { DATABASE_POOL_MAX: '20' })])));
    org = await createOrganization(app);
    channel = await createChannel(app, fake, org.ownerKey);
    const client = app.client(org.ownerKey);
    await setDefaultFlow(client, channel.id, await publishedFlow(client, TALLY_FLOW, 'Tally'));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await stop?.();
  });

  async function startedCustomer(): Promise<ChatCustomer> {
    const customer = new ChatCustomer(app, fake, channel);
    await customer.say('start');
    expect(await customer.replies()).toEqual(['Tally:']);
    return customer;
  }

  /** Posts the messages at the same moment, without waiting for them to be processed. */
  const postTogether = (customer: ChatCustomer, texts: string[]) =>
    Promise.all(texts.map((text) => postWebhook(app.url, customer.envelope(message.text(customer.waId, text))))).then((answers) => {
      expect(answers.map((a) => a.status)).toEqual(texts.map(() => 200));
    });

  /**
   * The replies of messages processed one after the other: the n-th reply holds n of the answers,
   * and each reply's tally extends the one before. Returns the order the answers were processed in.
   */
  function expectSerialTallies(replies: string[], texts: string[]): string[] {
    expect(replies).toHaveLength(texts.length);
    const tallies = replies.map((reply) => reply.replace(/^Tally:/, '').trim().split(' '));
    tallies.forEach((tally, i) => {
      expect(tally).toHaveLength(i + 1);
      if (i > 0) expect(tally.slice(0, i)).toEqual(tallies[i - 1]);
    });
    const order = tallies.at(-1)!;
    expect([...order].sort()).toEqual([...texts].sort());
    return order;
  }

  async function expectFinalState(customer: ChatCustomer, order: string[]) {
    const { botState } = await customer.conversation();
    expect(botState).toMatchObject({ status: 'active', currentNodeId: 'ask', variables: { tally: ` ${order.join(' ')}` } });
    const sets = (await customer.botEvents()).filter((event) => event.type === 'variable_set' && event.name === 'tally');
    expect(sets.map((event) => event.value)).toEqual(order.map((_, i) => ` ${order.slice(0, i + 1).join(' ')}`));
  }

  /** Webhook jobs each worker process has completed, from its own /metrics. */
  async function webhookJobsBy(worker: ChildApp): Promise<number> {
    const text = await (await fetch(`${worker.url}/metrics`)).text();
    const match = /^jobs_total\{queue="webhook",outcome="completed"\} (\d+)$/m.exec(text);
    return match ? Number(match[1]) : 0;
  }

  /**
   * Per worker, the webhook jobs completed, once the counters account for every delivery stored
   * (a worker counts a job just after finishing it, so a reply can reach the fake first).
   */
  async function settledJobCounts(): Promise<number[]> {
    let counts: number[] = [];
    await waitFor(
      async () => {
        const [row] = await query<{ n: number }>(app, `select count(*)::int as n from webhook_delivery`);
        counts = await Promise.all(workers.map(webhookJobsBy));
        return counts.reduce((a, b) => a + b, 0) === row!.n;
      },
      { what: 'the workers to count every delivery' },
    );
    return counts;
  }

  it('processes two messages that arrive together one after the other', async () => {
    const customer = await startedCustomer();
    const texts = ['first', 'second'];
    await postTogether(customer, texts);
    const order = expectSerialTallies(await customer.replies(texts.length), texts);
    await expectFinalState(customer, order);
  });

  it("queues five messages behind the conversation's lock while another customer goes on", async () => {
    const [alice, bob] = [await startedCustomer(), await startedCustomer()];
    const { id: aliceConversation } = await alice.conversation();
    const blocker = new Client({ connectionString: databaseUrl(app.databaseName) });
    await blocker.connect();
    try {
      // Hold Alice's conversation row as an inbound transaction would.
      await blocker.query('begin');
      await blocker.query('select id from conversation where id = $1 for update', [aliceConversation]);
      const texts = ['a1', 'a2', 'a3', 'a4', 'a5'];
      await postTogether(alice, texts);
      // All five are being processed, and held at the lock.
      await waitFor(
        async () => {
          const active = await app.queues.get('webhook').getActiveCount();
          const { rows } = await blocker.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
          return active === texts.length && rows[0].n > 0;
        },
        { what: "Alice's five messages to wait on her conversation" },
      );

      await bob.say('b1');
      expect(await bob.replies(1)).toEqual(['Tally: b1']);
      expect(await alice.outboundCount()).toBe(1);

      await blocker.query('commit');
      const order = expectSerialTallies(await alice.replies(texts.length), texts);
      await expectFinalState(alice, order);
    } finally {
      await blocker.end();
    }
  });

  it('keeps five customers sending five messages each consistent, with both workers processing', async () => {
    const customers = await Promise.all(Array.from({ length: 5 }, () => startedCustomer()));
    const before = await settledJobCounts();
    const texts = ['m1', 'm2', 'm3', 'm4', 'm5'];
    await Promise.all(customers.map((customer) => postTogether(customer, texts)));

    for (const customer of customers) {
      const order = expectSerialTallies(await customer.replies(texts.length), texts);
      await expectFinalState(customer, order);
    }
    const after = await settledJobCounts();
    const processed = after.map((count, i) => count - before[i]!);
    expect(processed.reduce((a, b) => a + b, 0)).toBe(customers.length * texts.length);
    expect(processed.every((count) => count > 0)).toBe(true);
  }, 60_000);
});
