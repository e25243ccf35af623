import IORedis from 'ioredis';
import { gql } from 'graphql-request';
import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { organizationTopic } from '../../src/pubsub/domain-event';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import { channelInput, createOrganization, errorCodes, firstError, type TestOrganization } from '../helpers/fixtures';
import { DEACTIVATE_USER, addMember, type TestMember } from '../helpers/members';
import { postWebhook, textMessage, type ChannelRef } from '../helpers/meta-webhook';
import type { TestApp } from '../helpers/test-app';
import { requireEnv } from '../helpers/test-env';
import { waitFor, waitForQueuesIdle } from '../helpers/wait';

const CREATE_CHANNEL = gql`
  mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id phoneNumberId wabaId displayPhoneNumber } } }
`;
const CONVERSATION_FIELDS = 'id status assignedTo { id }';
const ASSIGN = gql`
  mutation ($input: AssignConversationInput!) { assignConversation(input: $input) { conversation { ${CONVERSATION_FIELDS} } } }
`;
const HANDOFF = gql`
  mutation ($input: ConversationInput!) { handoffToAgent(input: $input) { conversation { ${CONVERSATION_FIELDS} } } }
`;
const RETURN_TO_BOT = gql`
  mutation ($input: ConversationInput!) { returnToBot(input: $input) { conversation { ${CONVERSATION_FIELDS} } } }
`;
const CLOSE = gql`
  mutation ($input: ConversationInput!) { closeConversation(input: $input) { conversation { ${CONVERSATION_FIELDS} } } }
`;
const REOPEN = gql`
  mutation ($input: ConversationInput!) { reopenConversation(input: $input) { conversation { ${CONVERSATION_FIELDS} } } }
`;
const MARK_READ = gql`
  mutation ($input: MarkReadInput!) { markRead(input: $input) { message { id } } }
`;
const SEND = gql`
  mutation ($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }
`;
const MESSAGES = gql`
  query ($filter: MessageFilter) { messages(filter: $filter, first: 10) { edges { node { id wamid direction } } } }
`;
const CONVERSATION = gql`
  query ($id: ID!) { conversation(id: $id) { ${CONVERSATION_FIELDS} } }
`;

/** The four status actions, by mutation name. */
const STATUS_ACTIONS = { handoffToAgent: HANDOFF, returnToBot: RETURN_TO_BOT, closeConversation: CLOSE, reopenConversation: REOPEN };

interface LoggedEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

interface PublishedEvent {
  kind: string;
  organizationId: string;
  conversationId: string;
  cursor: string;
  type: string;
  data: Record<string, unknown>;
}

describe('conversation actions', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let org: TestOrganization;
  let other: TestOrganization;
  let channel: ChannelRef & { id: string };
  let admin: TestMember;
  let agent: TestMember;
  let peer: TestMember;
  let viewer: TestMember;
  let retired: TestMember;
  let outsider: TestMember;
  let subscriber: IORedis | undefined;
  /** What arrived on each organization's Redis channel, keyed by the channel's organization id. */
  const published = new Map<string, PublishedEvent[]>();
  let customers = 0;

  /** A new conversation, made the way a customer makes one: by writing to the channel. */
  async function openConversation(): Promise<string> {
    customers += 1;
    const from = `55119${String(customers).padStart(8, '0')}`;
    expect((await postWebhook(app.url, textMessage(channel, from, 'Hello, I need help'))).status).toBe(200);
    await waitForQueuesIdle(app.queues);
    const rows = await app.orm.em
      .fork()
      .getConnection()
      .execute<{ id: string }[]>(`select c.id from conversation c join contact ct on ct.id = c.contact_id where ct.wa_id = ?`, [from]);
    expect(rows).toHaveLength(1);
    return rows[0]!.id;
  }

  const logOf = (conversationId: string) =>
    app.orm.em
      .fork()
      .getConnection()
      .execute<LoggedEvent[]>(`select id::text as id, type, data from conversation_event where conversation_id = ? order by id`, [conversationId]);

  const act = async (credential: string, mutation: string, input: Record<string, unknown>) => {
    const result = await app.client(credential).request<Record<string, { conversation: unknown }>>(mutation, { input });
    return Object.values(result)[0]!.conversation;
  };

  /**
   * Runs an action and checks the log: exactly one new event of `expected` (and that event on the
   * organization's Redis channel), or none at all when `expected` is null (a no-op).
   */
  async function expectLogged<T>(conversationId: string, expected: { type: string; data: Record<string, unknown> } | null, run: () => Promise<T>): Promise<T> {
    const before = await logOf(conversationId);
    const result = await run();
    const after = await logOf(conversationId);
    if (expected === null) {
      expect(after).toEqual(before);
      return result;
    }
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after).toHaveLength(before.length + 1);
    const event = after.at(-1)!;
    expect(event).toEqual({ id: event.id, ...expected });
    // Published by the sequencer, shortly after the commit, with the seq it gave the event as its cursor.
    const seqOf = async () =>
      (await app.orm.em.fork().getConnection().execute<{ seq: string | null }[]>('select seq::text as seq from conversation_event where id = ?', [event.id]))[0]?.seq;
    const seq = (await waitFor(seqOf, { what: `event ${event.id} to be sequenced` })) as string;
    const heard = await waitFor(() => (published.get(org.id) ?? []).find((e) => e.cursor === seq), { what: `event ${event.id} on Redis` });
    expect(heard).toMatchObject({ kind: 'conversation', organizationId: org.id, conversationId, type: expected.type, data: expected.data });
    return result;
  }

  /** Expects the action to fail with `code`, leaving the conversation and its log as they were. */
  async function expectRefused(conversationId: string, code: string, run: () => Promise<unknown>, field?: string) {
    const state = await app.client(org.ownerKey).request(CONVERSATION, { id: conversationId });
    await expectLogged(conversationId, null, async () => {
      const error = await firstError(run());
      expect(error.extensions).toMatchObject({ code, ...(field ? { field } : {}) });
    });
    expect(await app.client(org.ownerKey).request(CONVERSATION, { id: conversationId })).toEqual(state);
  }

  beforeAll(async () => {
    ({ app, fake, stop } = await startAppWithFakeGraph());
    org = await createOrganization(app, 'Acme');
    other = await createOrganization(app, 'Other Co');
    channel = (await app.client(org.ownerKey).request<any>(CREATE_CHANNEL, { input: channelInput() })).createChannel.channel;
    admin = await addMember(app, org.ownerKey, 'ADMIN');
    agent = await addMember(app, org.ownerKey, 'AGENT');
    peer = await addMember(app, org.ownerKey, 'AGENT');
    viewer = await addMember(app, org.ownerKey, 'VIEWER');
    retired = await addMember(app, org.ownerKey, 'AGENT');
    await app.client(org.ownerKey).request(DEACTIVATE_USER, { input: { id: retired.id } });
    outsider = await addMember(app, other.ownerKey, 'AGENT');

    subscriber = new IORedis(requireEnv('REDIS_URL'), { maxRetriesPerRequest: 1 });
    const topics = new Map([org.id, other.id].map((id) => [organizationTopic(app.config.redis.prefix, id), id]));
    subscriber.on('message', (topic: string, raw: string) => {
      const organizationId = topics.get(topic)!;
      published.set(organizationId, [...(published.get(organizationId) ?? []), JSON.parse(raw) as PublishedEvent]);
    });
    await subscriber.subscribe(...topics.keys());
  });
  afterAll(async () => {
    await subscriber?.quit();
    await stop?.();
  });

  describe('assignConversation', () => {
    it('lets an agent take a conversation for themselves; taking it again changes nothing', async () => {
      const conversationId = await openConversation();
      const input = { conversationId, userId: agent.id };
      const taken = await expectLogged(
        conversationId,
        { type: 'ASSIGNED', data: { userId: agent.id, status: 'WITH_AGENT', previous: 'WAITING_AGENT', by: agent.id } },
        () => act(agent.token, ASSIGN, input),
      );
      expect(taken).toEqual({ id: conversationId, status: 'WITH_AGENT', assignedTo: { id: agent.id } });

      const again = await expectLogged(conversationId, null, () => act(agent.token, ASSIGN, input));
      expect(again).toEqual(taken);
    });

    it('lets an admin assign any member, and unassign with null', async () => {
      const conversationId = await openConversation();
      const assigned = await expectLogged(
        conversationId,
        { type: 'ASSIGNED', data: { userId: agent.id, status: 'WITH_AGENT', previous: 'WAITING_AGENT', by: admin.id } },
        () => act(admin.token, ASSIGN, { conversationId, userId: agent.id }),
      );
      expect(assigned).toEqual({ id: conversationId, status: 'WITH_AGENT', assignedTo: { id: agent.id } });

      const moved = await expectLogged(
        conversationId,
        { type: 'ASSIGNED', data: { userId: peer.id, status: 'WITH_AGENT', previous: 'WITH_AGENT', by: admin.id } },
        () => act(admin.token, ASSIGN, { conversationId, userId: peer.id }),
      );
      expect(moved).toEqual({ id: conversationId, status: 'WITH_AGENT', assignedTo: { id: peer.id } });

      const unassigned = await expectLogged(
        conversationId,
        { type: 'ASSIGNED', data: { userId: null, status: 'WAITING_AGENT', previous: 'WITH_AGENT', by: admin.id } },
        () => act(admin.token, ASSIGN, { conversationId, userId: null }),
      );
      expect(unassigned).toEqual({ id: conversationId, status: 'WAITING_AGENT', assignedTo: null });
      await expectLogged(conversationId, null, () => act(admin.token, ASSIGN, { conversationId, userId: null }));
    });

    it('refuses an agent assigning someone else, and a viewer assigning anyone, with FORBIDDEN', async () => {
      const conversationId = await openConversation();
      await expectRefused(conversationId, 'FORBIDDEN', () => app.client(agent.token).request(ASSIGN, { input: { conversationId, userId: peer.id } }));
      await expectRefused(conversationId, 'FORBIDDEN', () => app.client(viewer.token).request(ASSIGN, { input: { conversationId, userId: viewer.id } }));
      await expectRefused(conversationId, 'FORBIDDEN', () => app.client(viewer.token).request(ASSIGN, { input: { conversationId, userId: agent.id } }));
    });

    it('refuses to assign a deactivated member or a viewer with BAD_USER_INPUT naming userId', async () => {
      const conversationId = await openConversation();
      for (const userId of [retired.id, viewer.id]) {
        await expectRefused(conversationId, 'BAD_USER_INPUT', () => app.client(admin.token).request(ASSIGN, { input: { conversationId, userId } }), 'userId');
      }
    });
  });

  describe('status actions', () => {
    it('returnToBot unassigns and gives the conversation to the bot; handoffToAgent puts it back in the queue', async () => {
      const conversationId = await openConversation();
      await act(agent.token, ASSIGN, { conversationId, userId: agent.id });

      const withBot = await expectLogged(conversationId, { type: 'STATUS_CHANGED', data: { status: 'BOT', previous: 'WITH_AGENT', by: agent.id } }, () =>
        act(agent.token, RETURN_TO_BOT, { conversationId }),
      );
      expect(withBot).toEqual({ id: conversationId, status: 'BOT', assignedTo: null });
      await expectLogged(conversationId, null, () => act(agent.token, RETURN_TO_BOT, { conversationId }));

      const waiting = await expectLogged(conversationId, { type: 'STATUS_CHANGED', data: { status: 'WAITING_AGENT', previous: 'BOT', by: agent.id } }, () =>
        act(agent.token, HANDOFF, { conversationId }),
      );
      expect(waiting).toEqual({ id: conversationId, status: 'WAITING_AGENT', assignedTo: null });
      await expectLogged(conversationId, null, () => act(agent.token, HANDOFF, { conversationId }));
    });

    it('handoffToAgent leaves a conversation that is already with its agent as it is', async () => {
      const conversationId = await openConversation();
      await act(agent.token, ASSIGN, { conversationId, userId: agent.id });
      const same = await expectLogged(conversationId, null, () => act(agent.token, HANDOFF, { conversationId }));
      expect(same).toEqual({ id: conversationId, status: 'WITH_AGENT', assignedTo: { id: agent.id } });
    });

    it('closeConversation closes and keeps the assignee; closing again changes nothing', async () => {
      const conversationId = await openConversation();
      await act(agent.token, ASSIGN, { conversationId, userId: agent.id });
      const closed = await expectLogged(conversationId, { type: 'STATUS_CHANGED', data: { status: 'CLOSED', previous: 'WITH_AGENT', by: agent.id } }, () =>
        act(agent.token, CLOSE, { conversationId }),
      );
      expect(closed).toEqual({ id: conversationId, status: 'CLOSED', assignedTo: { id: agent.id } });
      await expectLogged(conversationId, null, () => act(agent.token, CLOSE, { conversationId }));
    });

    it('refuses handoffToAgent and returnToBot on a closed conversation with CONFLICT', async () => {
      const conversationId = await openConversation();
      await act(agent.token, CLOSE, { conversationId });
      await expectRefused(conversationId, 'CONFLICT', () => app.client(agent.token).request(HANDOFF, { input: { conversationId } }));
      await expectRefused(conversationId, 'CONFLICT', () => app.client(agent.token).request(RETURN_TO_BOT, { input: { conversationId } }));
    });

    it('assigning a closed conversation records the assignee and keeps it closed', async () => {
      const conversationId = await openConversation();
      await act(agent.token, CLOSE, { conversationId });
      const assigned = await expectLogged(
        conversationId,
        { type: 'ASSIGNED', data: { userId: agent.id, status: 'CLOSED', previous: 'CLOSED', by: agent.id } },
        () => act(agent.token, ASSIGN, { conversationId, userId: agent.id }),
      );
      expect(assigned).toEqual({ id: conversationId, status: 'CLOSED', assignedTo: { id: agent.id } });
    });

    it('reopenConversation gives it back to its agent, or to the queue when unassigned; reopening an open one changes nothing', async () => {
      const assignedId = await openConversation();
      await act(agent.token, ASSIGN, { conversationId: assignedId, userId: agent.id });
      await act(agent.token, CLOSE, { conversationId: assignedId });
      const backToAgent = await expectLogged(assignedId, { type: 'STATUS_CHANGED', data: { status: 'WITH_AGENT', previous: 'CLOSED', by: agent.id } }, () =>
        act(agent.token, REOPEN, { conversationId: assignedId }),
      );
      expect(backToAgent).toEqual({ id: assignedId, status: 'WITH_AGENT', assignedTo: { id: agent.id } });
      await expectLogged(assignedId, null, () => act(agent.token, REOPEN, { conversationId: assignedId }));

      const unassignedId = await openConversation();
      await act(agent.token, CLOSE, { conversationId: unassignedId });
      const queued = await expectLogged(unassignedId, { type: 'STATUS_CHANGED', data: { status: 'WAITING_AGENT', previous: 'CLOSED', by: agent.id } }, () =>
        act(agent.token, REOPEN, { conversationId: unassignedId }),
      );
      expect(queued).toEqual({ id: unassignedId, status: 'WAITING_AGENT', assignedTo: null });
    });

    it.each(Object.entries(STATUS_ACTIONS))('refuses %s to a viewer with FORBIDDEN', async (_name, mutation) => {
      const conversationId = await openConversation();
      await expectRefused(conversationId, 'FORBIDDEN', () => app.client(viewer.token).request(mutation, { input: { conversationId } }));
    });
  });

  describe('markRead', () => {
    let conversationId: string;
    const markReads = () => fake.requests.filter((r) => r.kind === 'mark-as-read');

    beforeAll(async () => {
      conversationId = await openConversation();
    });

    it("sends Meta the read receipt for the customer's message", async () => {
      const inbound = (await app.client(agent.token).request<any>(MESSAGES, { filter: { conversationId, direction: 'IN' } })).messages.edges[0].node;
      const result = await app.client(agent.token).request<any>(MARK_READ, { input: { messageId: inbound.id } });
      expect(result.markRead.message.id).toBe(inbound.id);

      const request = (await waitFor(() => markReads().find((r) => (r.body as { message_id?: string }).message_id === inbound.wamid), {
        what: 'the read receipt at the fake Graph API',
      }))!;
      expect(request.method).toBe('POST');
      expect(request.path).toBe(`/v25.0/${channel.phoneNumberId}/messages`);
      expect(request.body).toEqual({ messaging_product: 'whatsapp', status: 'read', message_id: inbound.wamid });
    });

    it('refuses an outbound message with BAD_USER_INPUT naming messageId', async () => {
      const sent = (await app.client(agent.token).request<any>(SEND, { input: { conversationId, text: 'On it!' } })).sendMessage.message;
      await waitForQueuesIdle(app.queues);
      const before = markReads().length;
      const error = await firstError(app.client(agent.token).request(MARK_READ, { input: { messageId: sent.id } }));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'messageId' });
      await waitForQueuesIdle(app.queues);
      expect(markReads()).toHaveLength(before);
    });

    it('refuses a viewer with FORBIDDEN', async () => {
      const inbound = (await app.client(agent.token).request<any>(MESSAGES, { filter: { conversationId, direction: 'IN' } })).messages.edges[0].node;
      expect(await errorCodes(app.client(viewer.token).request(MARK_READ, { input: { messageId: inbound.id } }))).toEqual(['FORBIDDEN']);
    });
  });

  describe('between organizations', () => {
    it("answers NOT_FOUND for another organization's conversation and changes nothing", async () => {
      const conversationId = await openConversation();
      const intruder = app.client(other.ownerKey);
      await expectRefused(conversationId, 'NOT_FOUND', () => intruder.request(ASSIGN, { input: { conversationId, userId: outsider.id } }), 'conversationId');
      await expectRefused(conversationId, 'NOT_FOUND', () => intruder.request(ASSIGN, { input: { conversationId, userId: null } }), 'conversationId');
      for (const mutation of Object.values(STATUS_ACTIONS)) {
        await expectRefused(conversationId, 'NOT_FOUND', () => intruder.request(mutation, { input: { conversationId } }), 'conversationId');
      }
    });

    it("answers NOT_FOUND for another organization's message in markRead", async () => {
      const conversationId = await openConversation();
      const inbound = (await app.client(agent.token).request<any>(MESSAGES, { filter: { conversationId, direction: 'IN' } })).messages.edges[0].node;
      const error = await firstError(app.client(other.ownerKey).request(MARK_READ, { input: { messageId: inbound.id } }));
      expect(error.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'messageId' });
    });

    it('refuses to assign a member of another organization with NOT_FOUND naming userId', async () => {
      const conversationId = await openConversation();
      await expectRefused(conversationId, 'NOT_FOUND', () => app.client(admin.token).request(ASSIGN, { input: { conversationId, userId: outsider.id } }), 'userId');
    });

    it("publishes every logged event on its own organization's Redis channel only, in log order", async () => {
      const conversationId = await openConversation();
      await act(agent.token, ASSIGN, { conversationId, userId: agent.id });
      await act(agent.token, CLOSE, { conversationId });
      const log = await logOf(conversationId);
      const heard = (await waitFor(
        () => {
          const events = (published.get(org.id) ?? []).filter((e) => e.conversationId === conversationId);
          return events.length >= log.length ? events : null;
        },
        { what: 'every logged event on Redis' },
      ))!;
      expect(heard.map((e) => [e.cursor, e.type])).toEqual(log.map((e) => [e.id, e.type]));
      expect((published.get(other.id) ?? []).filter((e) => e.organizationId !== other.id)).toEqual([]);
    });
  });
});
