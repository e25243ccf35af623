import IORedis from 'ioredis';
import { Client } from 'pg';
import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import { createOrganization, type TestOrganization } from '../helpers/fixtures';
import { CONVERSATION_EVENTS, LiveClients, cursors, listening, noListeners, typenames, type ConversationEventPayload, type Feed } from '../helpers/live';
import { messagesEnvelope, postWebhook, unixSeconds, wamid } from '../helpers/meta-webhook';
import { createChannel, customerWrites, query, waitForValue, type Customer, type TestChannel } from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';
import { organizationTopic } from '../../src/pubsub/domain-event';
import { databaseUrl, requireEnv } from '../helpers/test-env';
import { waitForQueuesIdle } from '../helpers/wait';

jest.setTimeout(60_000);

const ascending = (values: string[]) => values.every((value, i) => i === 0 || BigInt(values[i - 1]!) < BigInt(value));

/**
 * Cursors follow commit order, not insert order: a transaction that drew its event id early and
 * committed late must not fall behind a cursor a subscriber already holds (the resume gap).
 */
describe('live feeds: cursors in commit order', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let org: TestOrganization;
  let channel: TestChannel;
  let live: LiveClients;

  beforeAll(async () => {
    ({ app, fake, stop } = await startAppWithFakeGraph());
    org = await createOrganization(app, 'Commit Order Co');
    channel = await createChannel(app, fake, org.ownerKey);
    live = new LiveClients(app.url);
  });
  afterEach(async () => {
    await live.closeAll();
    await noListeners(app);
  });
  afterAll(() => stop?.());

  async function customerSays(customer: Customer, text: string) {
    const messages = [{ from: customer.waId, id: wamid(), timestamp: unixSeconds(new Date()), type: 'text', text: { body: text } }];
    const envelope = messagesEnvelope(channel, { contacts: [{ profile: { name: 'Ana' }, wa_id: customer.waId }], messages });
    expect((await postWebhook(app.url, envelope)).status).toBe(200);
  }

  async function subscribe(variables: Record<string, unknown>, listeners: number): Promise<Feed<ConversationEventPayload>> {
    const feed = live.connect(org.ownerKey).subscribe<ConversationEventPayload>(CONVERSATION_EVENTS, variables);
    await listening(app, listeners);
    return feed;
  }

  /** A transaction of another writer, left open: its event has an id, but nobody can see it yet. */
  async function openTransactionWithEvent(conversationId: string, expiresAt: string): Promise<{ client: Client; id: string }> {
    const client = new Client({ connectionString: databaseUrl(app.databaseName) });
    await client.connect();
    await client.query('begin');
    const { rows } = await client.query<{ id: string }>(
      `insert into conversation_event (organization_id, conversation_id, type, data) values ($1, $2, 'WINDOW_CLOSING_SOON', $3) returning id::text as id`,
      [org.id, conversationId, JSON.stringify({ expiresAt })],
    );
    return { client, id: rows[0]!.id };
  }

  const idOfSeq = async (seq: string) => (await query<{ id: string }>(app, 'select id::text as id from conversation_event where seq = ?', [seq]))[0]!.id;

  it('replays, after a resume, an event whose transaction committed after a newer one was delivered', async () => {
    const customer = await customerWrites(app, channel, undefined, 'first');
    const leaving = await subscribe({}, 1);

    const expiresAt = new Date(Date.now() + 30 * 60_000).toISOString();
    const late = await openTransactionWithEvent(customer.conversationId, expiresAt);
    try {
      await customerSays(customer, 'second');
      await leaving.waitForEvent((e) => e.conversationEvents.message?.text === 'second', 'the newer event');
      const held = cursors(leaving).at(-1)!;
      // The situation that made ids unfit as cursors: the event still to come has the lower id.
      expect(BigInt(late.id)).toBeLessThan(BigInt(await idOfSeq(held)));
      await live.closeAll(); // the network drops
      await noListeners(app);

      await late.client.query('commit');
    } finally {
      await late.client.end();
    }
    // No producer announced it (as if it died after its commit): the sequencer's poll finds it.
    const seq = await waitForValue(
      async () => (await query<{ seq: string | null }>(app, 'select seq::text as seq from conversation_event where id = ?', [late.id]))[0]?.seq,
      { what: 'the late event to be sequenced', timeoutMs: 10_000 },
    );
    expect(BigInt(seq)).toBeGreaterThan(BigInt(cursors(leaving).at(-1)!));

    const resumed = await subscribe({ after: cursors(leaving).at(-1)! }, 1);
    const [replayed] = await resumed.waitForCount(1, 'the late event');
    expect(replayed!.conversationEvents).toMatchObject({ __typename: 'WindowClosingSoon', cursor: seq, conversationId: customer.conversationId, expiresAt });
  });

  it('delivers live events in cursor order, a late commit after what was delivered before it', async () => {
    const customer = await customerWrites(app, channel, undefined, 'hello');
    const feed = await subscribe({ conversationId: customer.conversationId }, 1);
    const late = await openTransactionWithEvent(customer.conversationId, new Date(Date.now() + 45 * 60_000).toISOString());
    try {
      await customerSays(customer, 'one');
      await feed.waitForEvent((e) => e.conversationEvents.message?.text === 'one', 'the event committed first');
      await late.client.query('commit');
    } finally {
      await late.client.end();
    }
    await feed.waitForEvent((e) => e.conversationEvents.__typename === 'WindowClosingSoon', 'the late event, live');
    await customerSays(customer, 'two');
    await feed.waitForEvent((e) => e.conversationEvents.message?.text === 'two', 'the event after it');

    expect(ascending(cursors(feed))).toBe(true);
    expect(typenames(feed).indexOf('WindowClosingSoon')).toBeLessThan(feed.events.findIndex((e) => e.conversationEvents.message?.text === 'two'));
    const logged = await query<{ seq: string }>(app, `select seq::text as seq from conversation_event where conversation_id = ? and seq >= ? order by seq`, [
      customer.conversationId,
      cursors(feed)[0],
    ]);
    expect(cursors(feed)).toEqual(logged.map((row) => row.seq).filter((seq) => cursors(feed).includes(seq)));
  });

  it('publishes, before anything newer, events a relay committed but did not live to publish', async () => {
    const customer = await customerWrites(app, channel, undefined, 'hi');
    await waitForQueuesIdle(app.queues, 30_000);
    await app.deps.events.settled();
    const feed = await subscribe({ conversationId: customer.conversationId }, 1);
    // The feed reads where the log ends just after it starts listening: until an event arrives, that
    // read may still come after the orphan below, which would then be behind the feed's start.
    await customerSays(customer, 'ready');
    await feed.waitForEvent((e) => e.conversationEvents.message?.text === 'ready', 'the feed to be live');
    const before = feed.events.length;

    // What a relay that died between its commit and its publish leaves: a numbered event nobody heard of.
    const expiresAt = new Date(Date.now() + 50 * 60_000).toISOString();
    const [orphan] = await query<{ seq: string }>(
      app,
      `insert into conversation_event (organization_id, conversation_id, type, data, seq)
       values (?, ?, 'WINDOW_CLOSING_SOON', ?, (select max(seq) + 1 from conversation_event)) returning seq::text as seq`,
      [org.id, customer.conversationId, JSON.stringify({ expiresAt })],
    );
    await customerSays(customer, 'next');
    await feed.waitForEvent((e) => e.conversationEvents.message?.text === 'next', 'the next event');

    expect(feed.events[before]!.conversationEvents).toMatchObject({ __typename: 'WindowClosingSoon', cursor: orphan!.seq, expiresAt });
    expect(ascending(cursors(feed))).toBe(true);
  });

  it('publishes each event as its log row, with the row of the message it is about', async () => {
    const tap = new IORedis(requireEnv('REDIS_URL'));
    const published: Record<string, any>[] = [];
    try {
      await tap.subscribe(organizationTopic(app.config.redis.prefix, org.id));
      tap.on('message', (_topic: string, text: string) => published.push(JSON.parse(text)));
      const customer = await customerWrites(app, channel, undefined, 'Olá, "quoted" \\ back\u2028slash 😀');
      const event = await waitForValue(() => published.find((e) => e.type === 'MESSAGE_RECEIVED' && e.conversationId === customer.conversationId), {
        what: 'the published MESSAGE_RECEIVED',
      });
      const [row] = await query<{ seq: string; created_at: string; data: Record<string, unknown> }>(
        app,
        `select seq::text as seq, created_at, data from conversation_event where seq = ?`,
        [event.cursor],
      );
      const [message] = await query<{ id: string; text: string; wamid: string }>(app, 'select id, text, wamid from message where wamid = ?', [customer.inboundWamid]);
      expect(event).toEqual({
        kind: 'conversation',
        organizationId: org.id,
        conversationId: customer.conversationId,
        cursor: row!.seq,
        type: 'MESSAGE_RECEIVED',
        data: row!.data,
        at: new Date(row!.created_at).toISOString(),
        message: expect.objectContaining({ id: message!.id, text: message!.text, wamid: customer.inboundWamid, direction: 'IN' }),
      });
      expect(message!.text).toBe('Olá, "quoted" \\ back\u2028slash 😀');
      // An event about no message carries none.
      const opened = published.find((e) => e.type === 'CONVERSATION_OPENED' && e.conversationId === customer.conversationId);
      expect(opened).toMatchObject({ conversationId: customer.conversationId, message: null });
    } finally {
      tap.disconnect();
    }
  });

  it('numbers the events of one transaction in the order it wrote them', async () => {
    const customer = await customerWrites(app, channel, undefined, 'order please');
    await waitForQueuesIdle(app.queues, 30_000);
    await app.deps.events.settled();
    // now() is the transaction's start: rows with one created_at were written by one transaction.
    const rows = await query<{ seqs: string[] }>(
      app,
      `select array_agg(seq::text order by id) as seqs from conversation_event where conversation_id = ? group by created_at having count(*) > 1`,
      [customer.conversationId],
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const { seqs } of rows) expect(ascending(seqs)).toBe(true);
  });
});
