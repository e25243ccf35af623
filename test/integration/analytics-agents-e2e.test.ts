import { gql, type GraphQLClient } from 'graphql-request';
import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { refresh } from '../helpers/analytics-history';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import { createOrganization, type TestOrganization } from '../helpers/fixtures';
import { ASSIGN, ChatCustomer, HANDOFF, RETURN_TO_BOT, publishedFlow, setDefaultFlow } from '../helpers/flows';
import { addMember, type TestMember } from '../helpers/members';
import { SEND_MESSAGE, createChannel, customerWrites, query, type TestChannel } from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';
import { waitFor, waitForQueuesIdle } from '../helpers/wait';

/**
 * The episode builder against what the runtime really writes: customers write through the signed
 * webhook, the bot runs its flow, agents act through the real mutations (assignConversation,
 * sendMessage, closeConversation, returnToBot, handoffToAgent). Expected episodes are read off the
 * conversation log by hand (the event each moment is), then compared with the facts and the report.
 */

const STATS = 'median p90 count';
const TOTALS = `episodes conversationsHandled messagesSent answeredEpisodes resolvedEpisodes firstResponseTime { ${STATS} } resolutionTime { ${STATS} }`;
const AGENT_METRICS = gql`
  query ($range: AnalyticsRangeInput!) {
    agentMetrics(range: $range) { overall { ${TOTALS} unattributedEpisodes } agents { agentId ${TOTALS} } }
  }
`;
const CLOSE = gql`
  mutation ($input: ConversationInput!) { closeConversation(input: $input) { conversation { id status } } }
`;

interface LoggedEvent {
  type: string;
  at: Date;
  data: Record<string, any>;
}

const seconds = (from: Date, to: Date) => (to.getTime() - from.getTime()) / 1000;

describe('agent episodes from the real runtime', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let org: TestOrganization;
  let owner: GraphQLClient;
  let alice: TestMember;
  let bob: TestMember;
  let plain: TestChannel;
  let withBot: TestChannel;

  const log = async (conversationId: string): Promise<LoggedEvent[]> =>
    (await query<LoggedEvent>(app, 'select type, created_at as at, data from conversation_event where conversation_id = ? order by id', [conversationId])).map((row) => ({
      ...row,
      at: new Date(row.at),
      data: typeof row.data === 'string' ? JSON.parse(row.data) : row.data,
    }));
  /** The nth (0-based) logged event matching. */
  const nth = (events: LoggedEvent[], n: number, match: (event: LoggedEvent) => boolean) => {
    const found = events.filter(match)[n];
    if (!found) throw new Error(`event #${n} not in the log: ${JSON.stringify(events.map((e) => [e.type, e.data]))}`);
    return found.at;
  };
  const received = (e: LoggedEvent) => e.type === 'MESSAGE_RECEIVED';
  const sentBy = (userId: string) => (e: LoggedEvent) => e.type === 'MESSAGE_SENT' && e.data.author === 'AGENT' && e.data.userId === userId;
  const statusTo = (status: string) => (e: LoggedEvent) => e.type === 'STATUS_CHANGED' && e.data.status === status;
  const botStep = (step: string) => (e: LoggedEvent) => e.type === 'BOT' && e.data.type === step;

  const act = (member: TestMember, mutation: string, input: Record<string, unknown>) => app.client(member.token).request(mutation, { input });
  const send = (member: TestMember, conversationId: string, text: string) => act(member, SEND_MESSAGE, { conversationId, text });

  const episodes = async (conversationId: string) => {
    const rows = await query<Record<string, unknown>>(
      app,
      `select seq, started_by, waiting_since, agent_id, first_response_at, resolved_at, end_reason, agent_messages
         from analytics_agent_episode where conversation_id = ? order by seq`,
      [conversationId],
    );
    const time = (value: unknown) => (value === null ? null : new Date(value as string));
    return rows.map((row) => ({ ...row, waiting_since: time(row.waiting_since), first_response_at: time(row.first_response_at), resolved_at: time(row.resolved_at) }));
  };

  beforeAll(async () => {
    ({ app, fake, stop } = await startAppWithFakeGraph());
    org = await createOrganization(app, 'Runtime agents');
    owner = app.client(org.ownerKey);
    alice = await addMember(app, org.ownerKey, 'AGENT');
    bob = await addMember(app, org.ownerKey, 'AGENT');
    plain = await createChannel(app, fake, org.ownerKey);
    withBot = await createChannel(app, fake, org.ownerKey);
    const flowId = await publishedFlow(owner, {
      start: 'ask',
      nodes: [
        { id: 'ask', type: 'question', text: 'What do you need?', saveAs: 'need', next: 'agent' },
        { id: 'agent', type: 'handoff', text: 'Connecting you to a person...' },
      ],
    });
    await setDefaultFlow(owner, withBot.id, flowId);
  });
  afterAll(async () => {
    await stop?.();
  });

  it('derives the episodes and metrics the runtime implies', async () => {
    const windowStart = new Date();

    // C1, no bot: the customer writes; Alice takes it, answers twice, closes. The customer writes
    // again (a new episode, still assigned to Alice); Bob answers it and closes.
    const c1 = (await customerWrites(app, plain)).conversationId;
    await act(alice, ASSIGN, { conversationId: c1, userId: alice.id });
    await send(alice, c1, 'Hi, Alice here');
    await send(alice, c1, 'Let me check');
    await act(alice, CLOSE, { conversationId: c1 });
    const customer1 = (await query<{ wa_id: string }>(app, 'select ct.wa_id from conversation c join contact ct on ct.id = c.contact_id where c.id = ?', [c1]))[0]!.wa_id;
    await customerWrites(app, plain, customer1, 'One more thing');
    await send(bob, c1, 'Bob here, sure');
    await act(bob, CLOSE, { conversationId: c1 });

    // C2, with the bot: it asks, the answer hands off; Bob takes it, answers and closes.
    const ana = new ChatCustomer(app, fake, withBot);
    await ana.say('hi');
    await ana.say('my order is late');
    const c2 = (await ana.conversation()).id;
    expect((await ana.conversation()).status).toBe('WAITING_AGENT');
    await act(bob, ASSIGN, { conversationId: c2, userId: bob.id });
    await send(bob, c2, 'Sorry about that, looking now');
    await act(bob, CLOSE, { conversationId: c2 });

    // C3, with the bot: it asks; a member takes the conversation from the bot (handoffToAgent);
    // nobody answers; it goes back to the bot (the flow starts again).
    const ben = new ChatCustomer(app, fake, withBot);
    await ben.say('hello');
    const c3 = (await ben.conversation()).id;
    await act(alice, HANDOFF, { conversationId: c3 });
    await act(alice, RETURN_TO_BOT, { conversationId: c3 });
    expect((await ben.conversation()).status).toBe('BOT');

    await waitForQueuesIdle(app.queues);
    await waitFor(async () => (await refresh(app)).ran, { what: 'a refresher pass of our own', timeoutMs: 20_000 });

    // Read off the logs: which event starts, answers and ends each episode.
    const log1 = await log(c1);
    const c1a = { waiting: nth(log1, 0, received), answered: nth(log1, 0, sentBy(alice.id)), closed: nth(log1, 0, statusTo('CLOSED')) };
    const c1b = { waiting: nth(log1, 1, received), answered: nth(log1, 0, sentBy(bob.id)), closed: nth(log1, 1, statusTo('CLOSED')) };
    const log2 = await log(c2);
    // The first message starts the flow (the bot answers it: no episode); the second hands off.
    const c2a = { waiting: nth(log2, 0, botStep('handoff')), answered: nth(log2, 0, sentBy(bob.id)), closed: nth(log2, 0, statusTo('CLOSED')) };
    expect(c2a.waiting).toEqual(nth(log2, 1, received));
    const log3 = await log(c3);
    // The bot took the new conversation first (BOT #0); returnToBot is BOT #1.
    const c3a = { waiting: nth(log3, 0, statusTo('WAITING_AGENT')), ended: nth(log3, 1, statusTo('BOT')) };
    expect(c3a.ended.getTime()).toBeGreaterThan(c3a.waiting.getTime());

    expect(await episodes(c1)).toEqual([
      { seq: 1, started_by: 'INBOUND', waiting_since: c1a.waiting, agent_id: alice.id, first_response_at: c1a.answered, resolved_at: c1a.closed, end_reason: 'CLOSED', agent_messages: 2 },
      { seq: 2, started_by: 'INBOUND', waiting_since: c1b.waiting, agent_id: alice.id, first_response_at: c1b.answered, resolved_at: c1b.closed, end_reason: 'CLOSED', agent_messages: 1 },
    ]);
    expect(await episodes(c2)).toEqual([
      { seq: 1, started_by: 'HANDOFF', waiting_since: c2a.waiting, agent_id: bob.id, first_response_at: c2a.answered, resolved_at: c2a.closed, end_reason: 'CLOSED', agent_messages: 1 },
    ]);
    expect(await episodes(c3)).toEqual([
      { seq: 1, started_by: 'HANDOFF', waiting_since: c3a.waiting, agent_id: null, first_response_at: null, resolved_at: null, end_reason: 'BOT', agent_messages: 0 },
    ]);

    const range = { from: new Date(windowStart.getTime() - 60_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString(), timeZone: 'UTC' };
    const { agentMetrics } = await owner.request<any>(AGENT_METRICS, { range });
    const frt = { c1a: seconds(c1a.waiting, c1a.answered), c1b: seconds(c1b.waiting, c1b.answered), c2a: seconds(c2a.waiting, c2a.answered) };
    const rt = { c1a: seconds(c1a.waiting, c1a.closed), c1b: seconds(c1b.waiting, c1b.closed), c2a: seconds(c2a.waiting, c2a.closed) };
    const median2 = (x: number, y: number) => (x + y) / 2;
    const p90of2 = (x: number, y: number) => Math.min(x, y) + 0.9 * Math.abs(x - y);
    expect(agentMetrics.overall).toMatchObject({
      episodes: 4, conversationsHandled: 2, messagesSent: 4, answeredEpisodes: 3, resolvedEpisodes: 3, unattributedEpisodes: 1,
    });
    const byAgent = new Map(agentMetrics.agents.map((row: any) => [row.agentId, row]));
    // Alice: both C1 episodes (she stays assigned); Bob: C2, plus his answer in C1's second episode.
    expect(byAgent.get(alice.id)).toMatchObject({ episodes: 2, conversationsHandled: 1, messagesSent: 2, answeredEpisodes: 2, resolvedEpisodes: 2 });
    expect(byAgent.get(bob.id)).toMatchObject({ episodes: 1, conversationsHandled: 1, messagesSent: 2, answeredEpisodes: 1, resolvedEpisodes: 1 });
    const alicesFirst = byAgent.get(alice.id) as any;
    expect(alicesFirst.firstResponseTime.count).toBe(2);
    expect(alicesFirst.firstResponseTime.median).toBeCloseTo(median2(frt.c1a, frt.c1b), 6);
    expect(alicesFirst.firstResponseTime.p90).toBeCloseTo(p90of2(frt.c1a, frt.c1b), 6);
    expect(alicesFirst.resolutionTime.median).toBeCloseTo(median2(rt.c1a, rt.c1b), 6);
    const bobs = byAgent.get(bob.id) as any;
    expect(bobs.firstResponseTime).toEqual({ median: frt.c2a, p90: frt.c2a, count: 1 });
    expect(bobs.resolutionTime).toEqual({ median: rt.c2a, p90: rt.c2a, count: 1 });
  });
});
