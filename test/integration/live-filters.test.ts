import { gql } from 'graphql-request';
import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import { createOrganization, type TestOrganization } from '../helpers/fixtures';
import { CONVERSATION_EVENTS, LiveClients, listening, noListeners, type ConversationEventPayload, type Feed } from '../helpers/live';
import { addMember, type TestMember } from '../helpers/members';
import { createChannel, customerWrites, type TestChannel } from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';

const ASSIGN = gql`
  mutation ($input: AssignConversationInput!) { assignConversation(input: $input) { conversation { id } } }
`;
const INBOX = `
  subscription ($filter: InboxFilter) { inbox(filter: $filter) { change conversationId cursor conversation { id status assignedTo { id } } } }
`;

interface InboxPayload {
  inbox: { change: string; conversationId: string; cursor: string; conversation: { id: string; status: string; assignedTo: { id: string } | null } };
}

describe('live feeds: filters', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let org: TestOrganization;
  let channel: TestChannel;
  let otherChannel: TestChannel;
  let agent: TestMember;
  let live: LiveClients;

  beforeAll(async () => {
    ({ app, fake, stop } = await startAppWithFakeGraph());
    org = await createOrganization(app, 'Filter Co');
    channel = await createChannel(app, fake, org.ownerKey);
    otherChannel = await createChannel(app, fake, org.ownerKey);
    agent = await addMember(app, org.ownerKey, 'AGENT');
    live = new LiveClients(app.url);
  });
  afterEach(async () => {
    await live.closeAll();
    await noListeners(app);
  });
  afterAll(() => stop?.());

  const changes = (feed: Feed<InboxPayload>, conversationId: string) =>
    feed.events.filter((e) => e.inbox.conversationId === conversationId).map((e) => e.inbox.change);

  it('conversationEvents(conversationId) delivers that conversation only', async () => {
    const watched = await customerWrites(app, channel);
    const screen = live.connect(org.ownerKey);
    const one = screen.subscribe<ConversationEventPayload>(CONVERSATION_EVENTS, { conversationId: watched.conversationId });
    const all = screen.subscribe<ConversationEventPayload>(CONVERSATION_EVENTS);
    await listening(app, 2);

    const other = await customerWrites(app, channel);
    await customerWrites(app, channel, watched.waId, 'me again');
    await all.waitForEvent((e) => e.conversationEvents.message?.text === 'me again', 'the watched conversation\'s message');
    await one.waitForCount(1);
    expect(all.events.some((e) => e.conversationEvents.conversationId === other.conversationId)).toBe(true);
    expect(one.events.map((e) => [e.conversationEvents.conversationId, e.conversationEvents.message?.text])).toEqual([[watched.conversationId, 'me again']]);
  });

  it('inbox: conversations enter, change within and leave the filter as they are assigned and unassigned', async () => {
    const mine = live.connect(agent.token).subscribe<InboxPayload>(INBOX, { filter: { assignedToMe: true } });
    const waiting = live.connect(org.ownerKey).subscribe<InboxPayload>(INBOX, { filter: { status: 'WAITING_AGENT' } });
    await listening(app, 2);

    const customer = await customerWrites(app, channel);
    const id = customer.conversationId;
    await waiting.waitForEvent((e) => e.inbox.change === 'UPDATED' && e.inbox.conversationId === id, 'the new conversation in the waiting list');

    await app.client(agent.token).request(ASSIGN, { input: { conversationId: id, userId: agent.id } });
    await mine.waitForEvent((e) => e.inbox.change === 'ENTERED', 'the conversation in my list');
    await waiting.waitForEvent((e) => e.inbox.change === 'LEFT', 'the conversation leaving the waiting list');

    await customerWrites(app, channel, customer.waId, 'Thanks for taking this');
    await mine.waitForEvent((e) => e.inbox.change === 'UPDATED', 'the customer writing in my conversation');

    await app.client(org.ownerKey).request(ASSIGN, { input: { conversationId: id, userId: null } });
    await mine.waitForEvent((e) => e.inbox.change === 'LEFT', 'the conversation leaving my list');
    await waiting.waitForCount(4, 'the conversation back in the waiting list');

    expect(changes(mine, id)).toEqual(['ENTERED', 'UPDATED', 'LEFT']);
    // The conversation as it was when each change was delivered.
    expect(mine.events[0]!.inbox.conversation).toMatchObject({ id, status: 'WITH_AGENT', assignedTo: { id: agent.id } });
    expect(mine.events[2]!.inbox.conversation).toMatchObject({ id, status: 'WAITING_AGENT', assignedTo: null });
    // Opened and first message, assigned away, (nothing while it is someone's), unassigned back.
    expect(changes(waiting, id)).toEqual(['ENTERED', 'UPDATED', 'LEFT', 'ENTERED']);
    expect(waiting.events.at(-1)!.inbox.conversation.status).toBe('WAITING_AGENT');
  });

  it('inbox(channelId): only that channel\'s conversations', async () => {
    const feed = live.connect(org.ownerKey).subscribe<InboxPayload>(INBOX, { filter: { channelId: channel.id } });
    const everything = live.connect(org.ownerKey).subscribe<ConversationEventPayload>(CONVERSATION_EVENTS);
    await listening(app, 2);
    const elsewhere = await customerWrites(app, otherChannel);
    const here = await customerWrites(app, channel);
    await feed.waitForCount(2);
    await everything.waitForCount(4);
    expect(changes(feed, here.conversationId)).toEqual(['ENTERED', 'UPDATED']);
    expect(changes(feed, elsewhere.conversationId)).toEqual([]);
  });
});
