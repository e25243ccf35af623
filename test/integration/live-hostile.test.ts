import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import { createOrganization, type TestOrganization } from '../helpers/fixtures';
import { CONVERSATION_EVENTS, LiveClients, WS_CLOSE, listening, noListeners, type ConversationEventPayload, type RawSocket } from '../helpers/live';
import { createChannel, customerWrites, type TestChannel } from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';

const MAX_SUBSCRIPTIONS = 20;
const SUBSCRIBER_ALREADY_EXISTS = 4409;

const subscribe = (id: string, query: string, variables: Record<string, unknown> = {}) => ({ id, type: 'subscribe', payload: { query, variables } });

describe('live feeds: hostile input', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let org: TestOrganization;
  let channel: TestChannel;
  let live: LiveClients;

  beforeAll(async () => {
    ({ app, fake, stop } = await startAppWithFakeGraph({ LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION: String(MAX_SUBSCRIPTIONS) }));
    org = await createOrganization(app, 'Hostile Co');
    channel = await createChannel(app, fake, org.ownerKey);
    live = new LiveClients(app.url);
  });
  afterEach(async () => {
    await live.closeAll();
    await noListeners(app);
  });
  afterAll(() => stop?.());

  /** A well-behaved screen keeps getting events: the server stayed healthy for everyone else. */
  async function othersStillServed() {
    const listenersBefore = app.deps.live!.hub.stats().listeners;
    const feed = live.connect(org.ownerKey).subscribe<ConversationEventPayload>(CONVERSATION_EVENTS);
    await listening(app, listenersBefore + 1);
    const customer = await customerWrites(app, channel);
    await feed.waitForEvent((e) => e.conversationEvents.conversationId === customer.conversationId, 'an event for a well-behaved client');
  }

  const errorFor = (socket: RawSocket, id: string) => socket.waitForMessage((m) => m.id === id && m.type === 'error', `the error message for ${id}`);

  it('closes with 4400 on messages that are not the protocol', async () => {
    for (const garbage of ['{"type":"connection_init","payload":', 'not json at all', JSON.stringify({ type: 'no-such-type' }), JSON.stringify({ type: 'subscribe', payload: {} })]) {
      const socket = await live.raw();
      socket.send(garbage);
      expect({ garbage, code: await socket.closed() }).toEqual({ garbage, code: WS_CLOSE.BAD_REQUEST });
    }
    await othersStillServed();
  });

  it('closes with 4401 when a subscribe comes before connection_init', async () => {
    const socket = await live.raw();
    socket.send(subscribe('1', CONVERSATION_EVENTS));
    expect(await socket.closed()).toBe(WS_CLOSE.UNAUTHORIZED);
    expect(app.deps.live!.hub.stats().listeners).toBe(0);
  });

  it(`answers a flood of subscribes past ${MAX_SUBSCRIPTIONS} with RATE_LIMITED errors, keeping the allowed ones`, async () => {
    const socket = await live.raw();
    await socket.init(org.ownerKey);
    for (let i = 1; i <= 300; i += 1) socket.send(subscribe(String(i), CONVERSATION_EVENTS));
    await listening(app, MAX_SUBSCRIPTIONS);
    await socket.waitForMessage(() => socket.messages.filter((m) => m.type === 'error').length === 300 - MAX_SUBSCRIPTIONS, 'every refusal');
    const refusals = socket.messages.filter((m) => m.type === 'error');
    expect(new Set(refusals.map((m) => m.payload[0].extensions.code))).toEqual(new Set(['RATE_LIMITED']));
    expect(app.deps.live!.hub.stats()).toEqual({ topics: 1, listeners: MAX_SUBSCRIPTIONS });

    await othersStillServed();
    // The allowed subscriptions of the flooding socket work too.
    await socket.waitForMessage(() => new Set(socket.messages.filter((m) => m.type === 'next').map((m) => m.id)).size === MAX_SUBSCRIPTIONS, 'events on each allowed subscription');
  });

  it('closes with 4409 when a subscription id is reused while running', async () => {
    const socket = await live.raw();
    await socket.init(org.ownerKey);
    socket.send(subscribe('same', CONVERSATION_EVENTS));
    socket.send(subscribe('same', CONVERSATION_EVENTS));
    expect(await socket.closed()).toBe(SUBSCRIBER_ALREADY_EXISTS);
  });

  it('answers bad documents and an invalid cursor with the protocol\'s error message, on a socket that stays open', async () => {
    const socket = await live.raw();
    await socket.init(org.ownerKey);
    socket.send(subscribe('syntax', 'subscription { conversationEvents { cursor '));
    socket.send(subscribe('unknown-field', 'subscription { conversationEvents { noSuchField } }'));
    socket.send(subscribe('too-deep', `subscription { conversationEvents { conversation { ${'lastMessage { conversation { '.repeat(10)} id ${'} } '.repeat(10)} } } }`));
    socket.send(subscribe('cursor', CONVERSATION_EVENTS, { after: "1; drop table conversation_event; --" }));
    socket.send(subscribe('foreign-id', CONVERSATION_EVENTS, { conversationId: 'not-a-uuid' }));

    expect((await errorFor(socket, 'syntax')).payload[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    expect((await errorFor(socket, 'unknown-field')).payload[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await errorFor(socket, 'too-deep')).payload[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await errorFor(socket, 'cursor')).payload).toEqual([
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'after' }, path: ['conversationEvents'] }),
    ]);
    expect((await errorFor(socket, 'foreign-id')).payload[0].extensions).toEqual({ code: 'NOT_FOUND', field: 'conversationId' });
    // No error carries a stack trace or SQL.
    expect(JSON.stringify(socket.messages)).not.toMatch(/stack|select |\bat \w+ \(/i);

    socket.send(subscribe('good', CONVERSATION_EVENTS));
    await listening(app, 1);
    const customer = await customerWrites(app, channel);
    await socket.waitForMessage((m) => m.id === 'good' && m.payload?.data?.conversationEvents?.conversationId === customer.conversationId, 'an event on the same socket');
  });
  it('refuses an operation over the socket that costs more than the HTTP ceiling, before running it', async () => {
    const socket = await live.raw();
    await socket.init(org.ownerKey);
    const page = (alias: number) => `c${alias}: channels(first: 100) { edges { node { id phoneNumberId displayPhoneNumber } } }`;
    socket.send(subscribe('costly', `{ ${Array.from({ length: 20 }, (_, index) => page(index)).join(' ')} }`));
    const [error] = (await errorFor(socket, 'costly')).payload;
    expect(error).toMatchObject({ message: expect.stringContaining('too expensive'), extensions: { code: 'BAD_USER_INPUT', maxCost: app.config.graphql.maxComplexity } });
    expect(error.extensions.cost).toBeGreaterThan(app.config.graphql.maxComplexity);
    expect(socket.messages.some((m) => m.id === 'costly' && m.type === 'next')).toBe(false);

    socket.send(subscribe('cheap', '{ channels(first: 1) { edges { node { id } } } }'));
    const answer = await socket.waitForMessage((m) => m.id === 'cheap' && m.type === 'next', 'the answer to a cheap query on the same socket');
    expect(answer.payload.data.channels.edges).toHaveLength(1);
  });
});
