import IORedis from 'ioredis';
import { createClient } from 'graphql-ws';
import { organizationTopic } from '../../src/pubsub/domain-event';
import WebSocket from 'ws';
import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import { createOrganization, type TestOrganization } from '../helpers/fixtures';
import { CONVERSATION_EVENTS, LiveClients, cursors, listening, noListeners, type ConversationEventPayload, type Feed } from '../helpers/live';
import { messagesEnvelope, postWebhook, textMessage, unixSeconds, wamid } from '../helpers/meta-webhook';
import { createChannel, customerWrites, query, type Customer, type TestChannel } from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';
import { requireEnv } from '../helpers/test-env';
import { waitFor, waitForQueuesIdle } from '../helpers/wait';

const REPLAY_LIMIT = 60;

// Several tests push a hundred messages through the pipeline: room for a loaded machine.
jest.setTimeout(60_000);

describe('live feeds: resume with `after`', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let org: TestOrganization;
  let channel: TestChannel;
  let live: LiveClients;

  beforeAll(async () => {
    // A small queue bound makes replays run in many pages, so live events land in the middle of them.
    ({ app, fake, stop } = await startAppWithFakeGraph({ LIVE_REPLAY_LIMIT: String(REPLAY_LIMIT), LIVE_MAX_QUEUED_EVENTS: '40' }));
    org = await createOrganization(app, 'Resume Co');
    channel = await createChannel(app, fake, org.ownerKey);
    live = new LiveClients(app.url);
  });
  afterEach(async () => {
    await live.closeAll();
    await noListeners(app);
  });
  afterAll(() => stop?.());

  /** The customer writes `texts` in one webhook (Meta batches), all processed. */
  async function customerSays(customer: Customer, texts: string[]) {
    const messages = texts.map((body, i) => ({ from: customer.waId, id: wamid(), timestamp: unixSeconds(new Date(Date.now() + i)), type: 'text', text: { body } }));
    const envelope = messagesEnvelope(channel, { contacts: [{ profile: { name: 'Ana' }, wa_id: customer.waId }], messages });
    expect((await postWebhook(app.url, envelope)).status).toBe(200);
  }

  /** The conversation's log after `after`, as a feed would deliver it. */
  const loggedAfter = async (conversationId: string, after: string) =>
    (await query<{ id: string }>(app, `select seq::text as id from conversation_event where conversation_id = ? and seq > ? order by seq`, [conversationId, after])).map(
      (row) => row.id,
    );

  async function subscribe(variables: Record<string, unknown>): Promise<Feed<ConversationEventPayload>> {
    const feed = live.connect(org.ownerKey).subscribe<ConversationEventPayload>(CONVERSATION_EVENTS, variables);
    await listening(app, 1);
    return feed;
  }

  const texts = (feed: Feed<ConversationEventPayload>) =>
    feed.events.filter((e) => e.conversationEvents.__typename === 'MessageReceived').map((e) => e.conversationEvents.message?.text);

  it('replays what happened while disconnected, in order, then continues live', async () => {
    const customer = await customerWrites(app, channel, undefined, 'first');
    const first = await subscribe({ conversationId: customer.conversationId });
    await customerSays(customer, ['second']);
    await first.waitForCount(1);
    const seen = cursors(first).at(-1)!;
    await live.closeAll();
    await noListeners(app);

    await customerSays(customer, ['third', 'fourth', 'fifth']);
    await waitForQueuesIdle(app.queues, 30_000);

    const resumed = await subscribe({ conversationId: customer.conversationId, after: seen });
    await resumed.waitForCount(3, 'the replay');
    await customerSays(customer, ['sixth']);
    await resumed.waitForCount(4, 'the live event');

    expect(texts(resumed)).toEqual(['third', 'fourth', 'fifth', 'sixth']);
    expect(cursors(resumed)).toEqual(await loggedAfter(customer.conversationId, seen));

    // A slow publisher: the live copy of a replayed event arrives after the replay. It is not delivered twice.
    const [third] = await query<{ id: string; type: string; data: unknown; created_at: Date }>(
      app,
      `select seq::text as id, type, data, created_at from conversation_event where seq = ?`,
      [cursors(resumed)[0]],
    );
    const late = { kind: 'conversation', organizationId: org.id, conversationId: customer.conversationId, cursor: third!.id, type: third!.type, data: third!.data, at: third!.created_at };
    const redis = new IORedis(requireEnv('REDIS_URL'));
    try {
      await redis.publish(organizationTopic(app.config.redis.prefix, org.id), JSON.stringify(late));
    } finally {
      redis.disconnect();
    }
    await customerSays(customer, ['seventh']);
    await resumed.waitForCount(5, 'the event after the late copy');
    expect(texts(resumed)).toEqual(['third', 'fourth', 'fifth', 'sixth', 'seventh']);
  });

  it('lets the graphql-ws client resume by itself: its retry re-sends the subscription with the last cursor', async () => {
    const customer = await customerWrites(app, channel, undefined, 'first');
    const sockets: WebSocket[] = [];
    class TrackedWebSocket extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        sockets.push(this);
      }
    }
    let reconnect!: () => void;
    const mayReconnect = new Promise<void>((resolve) => (reconnect = resolve));
    const client = createClient({
      url: live.url,
      webSocketImpl: TrackedWebSocket,
      connectionParams: { authorization: `Bearer ${org.ownerKey}` },
      retryAttempts: 3,
      retryWait: () => mayReconnect,
    });
    try {
      // The README's pattern: the client re-sends this same payload object when it reconnects.
      const payload = { query: CONVERSATION_EVENTS, variables: { conversationId: customer.conversationId, after: null as string | null } };
      const received: ConversationEventPayload['conversationEvents'][] = [];
      client.subscribe<ConversationEventPayload>(payload, {
        next: ({ data }) => {
          received.push(data!.conversationEvents);
          payload.variables.after = data!.conversationEvents.cursor;
        },
        error: () => undefined,
        complete: () => undefined,
      });
      await listening(app, 1);
      await customerSays(customer, ['second']);
      await waitFor(() => received.length === 1, { what: 'the first live event' });

      sockets[0]!.terminate(); // the network drops
      await noListeners(app);
      await customerSays(customer, ['third', 'fourth']);
      await waitForQueuesIdle(app.queues, 30_000);
      reconnect();

      await waitFor(() => received.length === 3, { what: 'the missed events' });
      await customerSays(customer, ['fifth']);
      await waitFor(() => received.length === 4, { what: 'the next live event' });
      expect(received.map((event) => event.message?.text)).toEqual(['second', 'third', 'fourth', 'fifth']);
      expect(sockets).toHaveLength(2);
    } finally {
      await client.dispose();
    }
  });

  it('has no gap and no duplicate at the seam, while events keep coming during the replay', async () => {
    const customer = await customerWrites(app, channel, undefined, 'start');
    const [{ id: start }] = (await query<{ id: string }>(app, `select max(seq)::text as id from conversation_event where conversation_id = ?`, [
      customer.conversationId,
    ])) as [{ id: string }];
    await customerSays(customer, Array.from({ length: 45 }, (_, i) => `offline ${i}`));
    await waitForQueuesIdle(app.queues, 30_000);

    const resumed = live.connect(org.ownerKey).subscribe<ConversationEventPayload>(CONVERSATION_EVENTS, { conversationId: customer.conversationId, after: start });
    // These commit while the replay pages through the 45 above (pages of 20, paced by the client).
    await Promise.all(Array.from({ length: 8 }, (_, i) => postWebhook(app.url, textMessage(channel, customer.waId, `during ${i}`))));
    await waitForQueuesIdle(app.queues, 30_000);
    const expected = await loggedAfter(customer.conversationId, start);
    await resumed.waitForCount(expected.length, `all ${expected.length} events`);
    await customerSays(customer, ['after']);
    await resumed.waitForCount(expected.length + 1, 'the next live event');

    const delivered = cursors(resumed);
    const logged = await loggedAfter(customer.conversationId, start);
    // Replayed and live alike, in the log's order: nothing missing, nothing twice.
    expect(delivered).toEqual(logged);
    expect(texts(resumed).filter((text) => text?.startsWith('during'))).toHaveLength(8);
  });

  it('refuses an invalid cursor with BAD_USER_INPUT naming `after`', async () => {
    const connection = live.connect(org.ownerKey);
    const [{ id: newest }] = (await query<{ id: string }>(app, `select max(seq)::text as id from conversation_event`)) as [{ id: string }];
    for (const after of ['abc', '-1', '12.5', '', '99999999999999999999', String(BigInt(newest) + 1000n)]) {
      const errors = await connection.subscribe(CONVERSATION_EVENTS, { after }).waitForErrors();
      expect({ after, errors: errors.map((e) => e.extensions) }).toEqual({ after, errors: [{ code: 'BAD_USER_INPUT', field: 'after' }] });
    }
    // The connection itself stays usable.
    const customer = await customerWrites(app, channel);
    const feed = connection.subscribe<ConversationEventPayload>(CONVERSATION_EVENTS, { conversationId: customer.conversationId, after: '0' });
    await feed.waitForEvent((e) => e.conversationEvents.__typename === 'MessageReceived', 'the replayed message');
  });

  it(`refuses a cursor more than ${REPLAY_LIMIT} events old: the client reloads instead`, async () => {
    const customer = await customerWrites(app, channel);
    await customerSays(customer, Array.from({ length: REPLAY_LIMIT + 1 }, (_, i) => `message ${i}`));
    await waitForQueuesIdle(app.queues, 30_000);
    const errors = await live.connect(org.ownerKey).subscribe(CONVERSATION_EVENTS, { conversationId: customer.conversationId, after: '0' }).waitForErrors();
    expect(errors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'after' } });
    expect(errors[0]!.message).toContain(`More than ${REPLAY_LIMIT} events`);
  });

  it('loses nothing when its Redis subscriber connection drops and comes back', async () => {
    const customer = await customerWrites(app, channel, undefined, 'before the drop');
    const feed = await subscribe({ conversationId: customer.conversationId });
    const admin = new IORedis(requireEnv('REDIS_URL'));
    try {
      const clients = String(await admin.client('LIST'));
      const hub = clients.split('\n').find((line) => line.includes(` name=${app.config.redis.prefix}:live `));
      expect(hub).toBeDefined();
      await admin.client('KILL', 'ID', /\bid=(\d+)/.exec(hub!)![1]!);
    } finally {
      admin.disconnect();
    }
    // Published while the hub reconnects or just after: either way delivered exactly once.
    await customerSays(customer, ['during the drop 1', 'during the drop 2']);
    await waitFor(() => app.logs.some((line) => line.includes('live feeds reconnected to Redis')), { what: 'the hub to reconnect' });
    await customerSays(customer, ['after the drop']);
    await feed.waitForCount(3);
    // Exactly once each, in the log's order (the two deliveries' jobs may commit in either order).
    expect([...texts(feed)].sort()).toEqual(['after the drop', 'during the drop 1', 'during the drop 2']);
    expect(cursors(feed)).toEqual((await loggedAfter(customer.conversationId, '0')).slice(-3));
  });
});
