import IORedis from 'ioredis';
import { GraphQLClient, gql } from 'graphql-request';
import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { organizationTopic } from '../../src/pubsub/domain-event';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import { startChildApp, type ChildApp } from '../helpers/child-app';
import { createOrganization, type TestOrganization } from '../helpers/fixtures';
import { CONVERSATION_EVENTS, LiveClients, listening, noListeners, type ConversationEventPayload } from '../helpers/live';
import { addMember, type TestMember } from '../helpers/members';
import { createChannel, customerWrites, query, type TestChannel } from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';
import { databaseUrl, requireEnv } from '../helpers/test-env';
import { waitFor } from '../helpers/wait';

jest.setTimeout(60_000);

const ASSIGN = gql`
  mutation ($input: AssignConversationInput!) { assignConversation(input: $input) { conversation { id } } }
`;

/** Two api processes on one database and one Redis: the test's own (#1, with the workers) and a child (#2). */
describe('live feeds across api processes', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let second: ChildApp;
  let org: TestOrganization;
  let channel: TestChannel;
  let agent: TestMember;
  let onFirst: LiveClients;
  let onSecond: LiveClients;
  let redis: IORedis;

  beforeAll(async () => {
    ({ app, fake, stop } = await startAppWithFakeGraph());
    second = await startChildApp({ ROLE: 'api', DATABASE_URL: databaseUrl(app.databaseName), REDIS_PREFIX: app.config.redis.prefix });
    org = await createOrganization(app, 'Two Process Co');
    channel = await createChannel(app, fake, org.ownerKey);
    agent = await addMember(app, org.ownerKey, 'AGENT');
    onFirst = new LiveClients(app.url);
    onSecond = new LiveClients(second.url);
    redis = new IORedis(requireEnv('REDIS_URL'));
  });
  afterEach(async () => {
    await Promise.all([onFirst.closeAll(), onSecond.closeAll()]);
    await noListeners(app);
  });
  afterAll(async () => {
    redis?.disconnect();
    await second?.stop();
    await stop?.();
  });

  /** The organization's newest cursor: subscribing `after` it misses nothing, whenever #2's listener is ready. */
  const newestCursor = async () =>
    (await query<{ id: string | null }>(app, `select coalesce(max(seq), 0)::text as id from conversation_event where organization_id = ?`, [org.id]))[0]!.id;

  it('a subscriber on api #2 receives what api #1 and its workers produce', async () => {
    const feed = onSecond.connect(org.ownerKey).subscribe<ConversationEventPayload>(CONVERSATION_EVENTS, { after: await newestCursor() });
    const customer = await customerWrites(app, channel, undefined, 'Hello from the webhook on #1');
    const received = await feed.waitForEvent((e) => e.conversationEvents.__typename === 'MessageReceived', 'the message');
    expect(received.conversationEvents).toMatchObject({ conversationId: customer.conversationId, message: { text: 'Hello from the webhook on #1' } });

    await app.client(agent.token).request(ASSIGN, { input: { conversationId: customer.conversationId, userId: agent.id } });
    const assigned = await feed.waitForEvent((e) => e.conversationEvents.__typename === 'ConversationAssigned', 'the assignment');
    expect(assigned.conversationEvents.assignedTo).toEqual({ id: agent.id });
  });

  it('a subscriber on api #1 receives what api #2 produces', async () => {
    const customer = await customerWrites(app, channel);
    const feed = onFirst.connect(org.ownerKey).subscribe<ConversationEventPayload>(CONVERSATION_EVENTS, { conversationId: customer.conversationId });
    await listening(app, 1);
    const throughSecond = new GraphQLClient(`${second.url}/graphql`, { headers: { authorization: `Bearer ${agent.token}` } });
    await throughSecond.request(ASSIGN, { input: { conversationId: customer.conversationId, userId: agent.id } });
    const assigned = await feed.waitForEvent((e) => e.conversationEvents.__typename === 'ConversationAssigned', 'the assignment made on #2');
    expect(assigned.conversationEvents).toMatchObject({ conversationId: customer.conversationId, status: 'WITH_AGENT' });
  });

  it('each process subscribes to an organization topic once, however many sockets listen', async () => {
    const topic = organizationTopic(app.config.redis.prefix, org.id);
    const subscribers = async () => Number(((await redis.pubsub('NUMSUB', topic)) as [string, number])[1]);
    const after = await newestCursor();
    const feeds = [
      ...[1, 2, 3].map(() => onFirst.connect(org.ownerKey).subscribe<ConversationEventPayload>(CONVERSATION_EVENTS, { after })),
      ...[1, 2].map(() => onSecond.connect(agent.token).subscribe<ConversationEventPayload>(CONVERSATION_EVENTS, { after })),
    ];
    await listening(app, 3);
    await waitFor(async () => (await subscribers()) === 2, { what: 'one subscription per process' });

    await customerWrites(app, channel);
    for (const feed of feeds) await feed.waitForEvent((e) => e.conversationEvents.__typename === 'MessageReceived', 'the message on every socket');
    expect(await subscribers()).toBe(2);

    await Promise.all([onFirst.closeAll(), onSecond.closeAll()]);
    await waitFor(async () => (await subscribers()) === 0, { what: 'both processes to unsubscribe' });
  });
});
