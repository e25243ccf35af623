import { gql } from 'graphql-request';
import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import { createOrganization, type TestOrganization } from '../helpers/fixtures';
import { CONVERSATION_EVENTS, LiveClients, listening, noListeners, typenames, type ConversationEventPayload, type Feed } from '../helpers/live';
import { addMember, type TestMember } from '../helpers/members';
import { postWebhook, textMessage } from '../helpers/meta-webhook';
import { accountUpdate, deliver, phoneNumberQuality, templateQuality, templateStatus } from '../helpers/meta-payloads';
import { SEND_MESSAGE, createChannel, customerWrites, newCustomerNumber, query, type TestChannel } from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';
import { waitForQueuesIdle } from '../helpers/wait';

const ASSIGN = gql`
  mutation ($input: AssignConversationInput!) { assignConversation(input: $input) { conversation { id } } }
`;
const CLOSE = gql`
  mutation ($input: ConversationInput!) { closeConversation(input: $input) { conversation { id } } }
`;

const TEMPLATE_UPDATES = `
  subscription { templateUpdates { templateId change status qualityScore category template { id name status qualityScore } } }
`;
const CHANNEL_UPDATES = `
  subscription { channelUpdates { channelId change qualityRating messagingLimitTier accountEvent channel { id messagingLimitTier } } }
`;

const FLOW = {
  start: 'welcome',
  nodes: [
    { id: 'welcome', type: 'message', text: 'Hi! Type anything to reach a person.', next: 'agent' },
    { id: 'agent', type: 'handoff', text: 'Connecting you' },
  ],
};

describe('live feeds: each event arrives after the action that causes it', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let org: TestOrganization;
  let channel: TestChannel;
  let agent: TestMember;
  let live: LiveClients;

  beforeAll(async () => {
    ({ app, fake, stop } = await startAppWithFakeGraph({}, { autoStatuses: true }));
    org = await createOrganization(app, 'Live Co');
    channel = await createChannel(app, fake, org.ownerKey);
    agent = await addMember(app, org.ownerKey, 'AGENT');
    live = new LiveClients(app.url);
  });
  afterEach(async () => {
    await live.closeAll();
    await noListeners(app);
  });
  afterAll(() => stop?.());

  /** A subscription of the whole organization (or one conversation), listening before it returns. */
  async function subscribe(variables: Record<string, unknown> = {}): Promise<Feed<ConversationEventPayload>> {
    const before = app.deps.live!.hub.stats().listeners;
    const feed = live.connect(org.ownerKey).subscribe<ConversationEventPayload>(CONVERSATION_EVENTS, variables);
    await listening(app, before + 1);
    return feed;
  }

  const eventOf = (feed: Feed<ConversationEventPayload>, typename: string, conversationId: string) =>
    feed.waitForEvent((e) => e.conversationEvents.__typename === typename && e.conversationEvents.conversationId === conversationId, typename);

  it('MessageReceived: the customer writes (inbound webhook)', async () => {
    const feed = await subscribe();
    const customer = await customerWrites(app, channel, newCustomerNumber(), 'Where is my order?');
    const { conversationEvents: event } = await eventOf(feed, 'MessageReceived', customer.conversationId);
    expect(event.message).toMatchObject({ text: 'Where is my order?', direction: 'IN', status: 'RECEIVED' });
    expect(event.cursor).toMatch(/^\d+$/);
    // A new conversation announces itself first.
    expect(typenames(feed).slice(0, 2)).toEqual(['ConversationOpened', 'MessageReceived']);
  });

  it('MessageSent, then MessageStatusChanged as Meta reports SENT, DELIVERED and READ', async () => {
    const customer = await customerWrites(app, channel);
    const feed = await subscribe({ conversationId: customer.conversationId });
    const sent = await app.client(agent.token).request<any>(SEND_MESSAGE, { input: { conversationId: customer.conversationId, text: 'On its way!' } });
    const messageId = sent.sendMessage.message.id;
    await feed.waitForEvent((e) => e.conversationEvents.messageStatus === 'READ', 'the READ status');
    const events = feed.events.map((e) => e.conversationEvents);
    expect(events[0]!.__typename).toBe('MessageSent');
    expect(events.slice(1).every((e) => e.__typename === 'MessageStatusChanged')).toBe(true);
    // SENT when the Graph API accepts the send (and again when Meta's webhook says so), then Meta's
    // delivered and read webhooks, which concurrent jobs may apply in either order (READ wins).
    const statuses = events.slice(1).map((e) => e.messageStatus);
    expect(statuses[0]).toBe('SENT');
    expect(statuses.every((status) => status === 'SENT' || status === 'DELIVERED' || status === 'READ')).toBe(true);
    expect(statuses).toContain('READ');
    expect(events.at(-1)!.message?.status).toBe('READ');
    expect(events[0]).toMatchObject({ author: 'AGENT', message: { id: messageId, text: 'On its way!', direction: 'OUT' } });
    expect(events.every((e) => e.message?.id === messageId)).toBe(true);
    // Cursors grow in delivery order.
    const numbers = events.map((e) => BigInt(e.cursor));
    expect([...numbers].sort((a, b) => (a < b ? -1 : 1))).toEqual(numbers);
  });

  it('ConversationAssigned and ConversationStatusChanged: an agent takes the conversation, then closes it', async () => {
    const customer = await customerWrites(app, channel);
    const feed = await subscribe({ conversationId: customer.conversationId });
    await app.client(agent.token).request(ASSIGN, { input: { conversationId: customer.conversationId, userId: agent.id } });
    const assigned = await eventOf(feed, 'ConversationAssigned', customer.conversationId);
    expect(assigned.conversationEvents).toMatchObject({ status: 'WITH_AGENT', previousStatus: 'WAITING_AGENT', assignedTo: { id: agent.id } });

    await app.client(agent.token).request(CLOSE, { input: { conversationId: customer.conversationId } });
    const closed = await eventOf(feed, 'ConversationStatusChanged', customer.conversationId);
    expect(closed.conversationEvents).toMatchObject({ status: 'CLOSED', previousStatus: 'WITH_AGENT' });
    expect(typenames(feed)).toEqual(['ConversationAssigned', 'ConversationStatusChanged']);
  });

  it('BotEvent: the customer\'s message runs a flow step up to the handoff', async () => {
    const client = app.client(org.ownerKey);
    const flow = (await client.request<any>(gql`mutation ($i: CreateFlowInput!) { createFlow(input: $i) { flow { id } } }`, { i: { name: 'Welcome', definition: FLOW } })).createFlow.flow;
    await client.request(gql`mutation ($i: FlowIdInput!) { publishFlow(input: $i) { flow { id } } }`, { i: { flowId: flow.id } });
    await client.request(gql`mutation ($i: UpdateChannelInput!) { updateChannel(input: $i) { channel { id } } }`, { i: { id: channel.id, defaultFlowId: flow.id } });
    try {
      const feed = await subscribe();
      const customer = await customerWrites(app, channel);
      await feed.waitForEvent((e) => e.conversationEvents.kind === 'handoff', 'the handoff');
      const bot = feed.events.map((e) => e.conversationEvents).filter((e) => e.__typename === 'BotEvent' && e.conversationId === customer.conversationId);
      expect(bot.map((e) => [e.kind, e.nodeId])).toEqual([
        ['node_entered', 'welcome'],
        ['node_entered', 'agent'],
        ['handoff', 'agent'],
      ]);
      expect(bot[2]!.reason).toBe('node');
    } finally {
      await client.request(gql`mutation ($i: UpdateChannelInput!) { updateChannel(input: $i) { channel { id } } }`, { i: { id: channel.id, defaultFlowId: null } });
    }
  });

  it('WindowClosingSoon: the maintenance job warns once per window, an hour before it closes', async () => {
    const waId = newCustomerNumber();
    // The customer last wrote 23.5 hours ago: the window closes in 30 minutes.
    const lastWrote = new Date(Date.now() - 23.5 * 3_600_000);
    expect((await postWebhook(app.url, textMessage(channel, waId, 'Hello?', { at: lastWrote }))).status).toBe(200);
    await waitForQueuesIdle(app.queues);
    const [row] = await query<{ id: string; window_expires_at: Date }>(
      app,
      `select c.id, c.window_expires_at from conversation c join contact ct on ct.id = c.contact_id where ct.wa_id = ?`,
      [waId],
    );
    const feed = await subscribe({ conversationId: row!.id });

    await app.queues.add('maintenance', 'warn-closing-windows', {});
    const warning = await eventOf(feed, 'WindowClosingSoon', row!.id);
    expect(new Date(warning.conversationEvents.expiresAt!).getTime()).toBe(new Date(row!.window_expires_at).getTime());

    // Running again warns nobody twice.
    await app.queues.add('maintenance', 'warn-closing-windows', {});
    await waitForQueuesIdle(app.queues);
    const [{ count }] = (await query<{ count: string }>(app, `select count(*) from conversation_event where conversation_id = ? and type = 'WINDOW_CLOSING_SOON'`, [row!.id])) as [
      { count: string },
    ];
    expect(count).toBe('1');
    expect(typenames(feed)).toEqual(['WindowClosingSoon']);
  });

  it('TemplateUpdate: Meta approves a template, then lowers its quality', async () => {
    const before = app.deps.live!.hub.stats().listeners;
    const feed = live.connect(org.ownerKey).subscribe(TEMPLATE_UPDATES);
    await listening(app, before + 1);
    const template = { id: 7_700_000_000_001, name: 'order_update', language: 'en_US' };

    await deliver(app, templateStatus(channel.wabaId, template, 'APPROVED'));
    await deliver(app, templateQuality(channel.wabaId, template, 'GREEN', 'YELLOW'));
    const [approved, quality] = (await feed.waitForCount(2)).map((event: any) => event.templateUpdates);
    expect(approved).toMatchObject({ change: 'message_template_status_update', status: 'APPROVED', template: { name: 'order_update' } });
    expect(quality).toMatchObject({ change: 'message_template_quality_update', qualityScore: 'YELLOW', template: { qualityScore: 'YELLOW' } });
    expect(quality.templateId).toBe(approved.templateId);
  });

  it('ChannelUpdate: Meta changes the number\'s messaging limit, then restricts the account', async () => {
    const before = app.deps.live!.hub.stats().listeners;
    const feed = live.connect(org.ownerKey).subscribe(CHANNEL_UPDATES);
    await listening(app, before + 1);

    await deliver(app, phoneNumberQuality(channel.wabaId, channel.displayPhoneNumber, 'UPGRADE', 'TIER_10K'));
    await deliver(app, accountUpdate(channel.wabaId, 'ACCOUNT_RESTRICTION', { restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING' }] }));
    const [tier, account] = (await feed.waitForCount(2)).map((event: any) => event.channelUpdates);
    expect(tier).toMatchObject({ channelId: channel.id, change: 'phone_number_quality_update', messagingLimitTier: 'TIER_10K', channel: { messagingLimitTier: 'TIER_10K' } });
    expect(account).toMatchObject({ channelId: channel.id, change: 'account_update', accountEvent: 'ACCOUNT_RESTRICTION' });
  });
});
