import { randomUUID } from 'node:crypto';
import { gql, type GraphQLClient } from 'graphql-request';
import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { systemEm } from '../../src/db/entity-manager';
import { sql } from '../../src/db/sql';
import { at, createTestChannel, History, plusSeconds } from '../helpers/analytics-history';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import { createOrganization, errorCodes, firstError, type TestOrganization } from '../helpers/fixtures';
import { ASSIGN, ChatCustomer, publishedFlow, setDefaultFlow } from '../helpers/flows';
import { addMember, type TestMember } from '../helpers/members';
import { SEND_MESSAGE, createChannel, query } from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';
import { TEST_SECRETS } from '../helpers/test-env';
import { waitForQueuesIdle } from '../helpers/wait';

/**
 * conversationTranscript and its JSON-lines export, over a hand-built log whose every entry is
 * listed below, and over a conversation the real runtime wrote (webhook, bot, mutations).
 */

const NODE = `
  cursor at kind summary
  message { id wamid direction type text status author authorUser { id name email } errorCode errorTitle flowNodeId }
  messageStatus errorCode errorTitle emoji targetWamid
  bot { step flowId flowVersion nodeId reason attempts variable error }
  status previousStatus
  agent { id name email }
  by { kind id name email }`;
const TRANSCRIPT = gql`
  query Transcript($conversationId: ID!, $first: Int, $after: String) {
    conversationTranscript(conversationId: $conversationId, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { ${NODE} } }
    }
  }
`;
/** A light selection: the cost limit (first x fields) never gets in the way of argument checks. */
const TRANSCRIPT_CURSORS = gql`
  query ($conversationId: ID!, $first: Int, $after: String) {
    conversationTranscript(conversationId: $conversationId, first: $first, after: $after) { edges { cursor } }
  }
`;
const CLOSE = gql`
  mutation ($input: ConversationInput!) { closeConversation(input: $input) { conversation { id } } }
`;

const T = at('2026-03-02T10:00:00.000Z');
const t = (seconds: number) => plusSeconds(T, seconds);
const iso = (seconds: number) => t(seconds).toISOString();

/** An entry with every field absent, to spell out expected entries briefly. */
const entry = (fields: Record<string, unknown>) => ({
  message: null, messageStatus: null, errorCode: null, errorTitle: null, emoji: null, targetWamid: null,
  bot: null, status: null, previousStatus: null, agent: null, by: null, ...fields,
});
const botStep = (fields: Record<string, unknown>) => ({ flowId: null, flowVersion: null, nodeId: null, reason: null, attempts: null, variable: null, error: null, ...fields });
/** A JSON-lines entry leaves empty fields out; GraphQL says null. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
  }
  return value;
}

describe('conversation transcript', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let orgA: TestOrganization;
  let orgB: TestOrganization;
  let a: GraphQLClient;
  let alice: TestMember;
  let admin: TestMember;
  let conversationId: string;
  let bigConversationId: string;
  let ids: { customerMessage: string; botMessage: string; agentMessage: string };
  const flow = { id: randomUUID(), version: 3 };

  const transcript = async (client: GraphQLClient, variables: Record<string, unknown>) =>
    (await client.request<{ conversationTranscript: any }>(TRANSCRIPT, variables)).conversationTranscript;
  /** Every entry, page by page. */
  async function allEntries(client: GraphQLClient, id: string, first = 50) {
    const entries: any[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = await transcript(client, { conversationId: id, first, after });
      entries.push(...page.edges.map((edge: any) => edge.node));
      if (!page.pageInfo.hasNextPage) return entries;
      after = page.pageInfo.endCursor;
    }
  }
  const exportUrl = (id: string) => `${app.url}/analytics/conversations/${encodeURIComponent(id)}/transcript.jsonl`;
  const download = (id: string, credential?: string) => fetch(exportUrl(id), { headers: credential ? { authorization: `Bearer ${credential}` } : {} });

  beforeAll(async () => {
    ({ app, fake, stop } = await startAppWithFakeGraph());
    orgA = await createOrganization(app, 'Transcripts A');
    orgB = await createOrganization(app, 'Transcripts B');
    a = app.client(orgA.ownerKey);
    alice = await addMember(app, orgA.ownerKey, 'AGENT', `alice-${randomUUID().slice(0, 8)}@example.test`);
    admin = await addMember(app, orgA.ownerKey, 'ADMIN');
    const channelId = await createTestChannel(app, orgA.ownerKey);

    // The log, in order (17 events):
    const h = new History(app, orgA.id);
    const contactId = await h.contact({ firstSeenAt: T, name: 'Ana' });
    conversationId = await h.conversation({ channelId, contactId, openedAt: t(0) }); // 1 opened
    const customerMessage = await h.message({ conversationId, direction: 'IN', at: t(0), text: 'Hi there' }); // 2
    const botMessage = await h.message({
      conversationId, direction: 'OUT', at: t(0), authorKind: 'BOT', text: 'Pick one', type: 'INTERACTIVE', sentAt: t(1), deliveredAt: t(2),
    }); // 3 sent, 4 SENT, 5 DELIVERED
    await h.bot(conversationId, flow, { type: 'node_entered', nodeId: 'menu' }, t(0)); // 6
    await h.event(conversationId, 'STATUS_CHANGED', { status: 'BOT', previous: 'WAITING_AGENT', by: 'bot' }, t(0)); // 7
    await h.bot(conversationId, flow, { type: 'validation_failed', nodeId: 'menu', attempts: 1 }, t(60)); // 8
    await h.bot(conversationId, flow, { type: 'variable_set', name: 'email', value: 'secret@example.com' }, t(60)); // 9
    await h.bot(conversationId, flow, { type: 'handoff', nodeId: 'menu', reason: 'invalid' }, t(60)); // 10
    await h.event(conversationId, 'ASSIGNED', { userId: alice.id, status: 'WITH_AGENT', previous: 'WAITING_AGENT', by: admin.id }, t(120)); // 11
    const agentMessage = await h.message({
      conversationId, direction: 'OUT', at: t(180), authorKind: 'AGENT', authorUserId: alice.id, text: 'Alice here',
      failedAt: t(181), errorCode: '131047', errorTitle: 'Re-engagement message',
    }); // 12 sent, 13 FAILED
    await h.event(conversationId, 'REACTION', { messageId: randomUUID(), wamid: 'wamid.reaction', targetWamid: `wamid.${botMessage}`, emoji: '👍' }, t(200)); // 14
    await h.event(conversationId, 'STATUS_CHANGED', { status: 'CLOSED', previous: 'WITH_AGENT', by: alice.id }, t(240)); // 15
    await h.bot(conversationId, { id: flow.id, version: flow.version }, { type: 'expired', nodeId: 'menu' }, t(300)); // 16
    await h.event(conversationId, 'WINDOW_CLOSING_SOON', { expiresAt: '2026-03-03T10:00:00.000Z' }, t(301)); // 17
    ids = { customerMessage, botMessage, agentMessage };

    // A long conversation: 1,200 bot steps after its opening (the export reads it in pages).
    const big = new History(app, orgA.id);
    bigConversationId = await big.conversation({ channelId, contactId: await big.contact({ firstSeenAt: T }), openedAt: t(0) });
    await sql(
      systemEm(app.orm),
      `insert into conversation_event (organization_id, conversation_id, type, data, created_at)
       select ?, ?, 'BOT', jsonb_build_object('type', 'node_entered', 'nodeId', 'n' || g, 'flowId', ?::text, 'flowVersion', 1), ?::timestamptz + g * interval '1 second'
         from generate_series(1, 1200) g order by g`,
      [orgA.id, bigConversationId, flow.id, t(0)],
    );
  });
  afterAll(async () => {
    await stop?.();
  });

  it('shows the log in order: messages, bot steps, the handoff, assignments, statuses and message statuses', async () => {
    const page = await transcript(a, { conversationId, first: 50 });
    expect(page.totalCount).toBe(17);
    expect(page.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    const entries = page.edges.map((edge: any) => edge.node);
    expect(page.edges.map((edge: any) => edge.cursor)).toEqual(entries.map((node: any) => node.cursor));
    const cursors = entries.map((node: any) => BigInt(node.cursor));
    expect(cursors).toEqual([...cursors].sort((x, y) => (x < y ? -1 : 1)));
    expect(new Set(cursors).size).toBe(17);

    const aliceRef = { id: alice.id, name: 'AGENT member', email: alice.email };
    const adminRef = { kind: 'MEMBER', id: admin.id, name: 'ADMIN member', email: admin.email };
    const botMessage = {
      id: ids.botMessage, wamid: `wamid.${ids.botMessage}`, direction: 'OUT', type: 'INTERACTIVE', text: 'Pick one', status: 'DELIVERED',
      author: 'BOT', authorUser: null, errorCode: null, errorTitle: null, flowNodeId: null,
    };
    const agentMessage = {
      id: ids.agentMessage, wamid: `wamid.${ids.agentMessage}`, direction: 'OUT', type: 'TEXT', text: 'Alice here', status: 'FAILED',
      author: 'AGENT', authorUser: aliceRef, errorCode: '131047', errorTitle: 'Re-engagement message', flowNodeId: null,
    };
    const withoutCursor = entries.map(({ cursor: _cursor, ...rest }: any) => rest);
    expect(withoutCursor).toEqual([
      entry({ at: iso(0), kind: 'CONVERSATION_OPENED', summary: 'Conversation opened' }),
      entry({
        at: iso(0), kind: 'MESSAGE', summary: 'Customer: Hi there',
        message: {
          id: ids.customerMessage, wamid: `wamid.${ids.customerMessage}`, direction: 'IN', type: 'TEXT', text: 'Hi there', status: 'RECEIVED',
          author: 'CUSTOMER', authorUser: null, errorCode: null, errorTitle: null, flowNodeId: null,
        },
      }),
      entry({ at: iso(0), kind: 'MESSAGE', summary: 'Bot: Pick one', message: botMessage }),
      entry({ at: iso(1), kind: 'MESSAGE_STATUS', summary: 'Message "Pick one" SENT', message: botMessage, messageStatus: 'SENT' }),
      entry({ at: iso(2), kind: 'MESSAGE_STATUS', summary: 'Message "Pick one" DELIVERED', message: botMessage, messageStatus: 'DELIVERED' }),
      entry({ at: iso(0), kind: 'BOT_STEP', summary: 'Bot entered node menu', bot: botStep({ step: 'node_entered', flowId: flow.id, flowVersion: 3, nodeId: 'menu' }) }),
      entry({ at: iso(0), kind: 'STATUS_CHANGE', summary: 'Status WAITING_AGENT → BOT by the bot', status: 'BOT', previousStatus: 'WAITING_AGENT', by: { kind: 'BOT', id: null, name: null, email: null } }),
      entry({
        at: iso(60), kind: 'BOT_STEP', summary: 'Bot: the answer at node menu failed validation (attempt 1)',
        bot: botStep({ step: 'validation_failed', flowId: flow.id, flowVersion: 3, nodeId: 'menu', attempts: 1 }),
      }),
      // The value a variable got stays in the bot state: only its name shows.
      entry({ at: iso(60), kind: 'BOT_STEP', summary: 'Bot set variable email', bot: botStep({ step: 'variable_set', flowId: flow.id, flowVersion: 3, variable: 'email' }) }),
      entry({
        at: iso(60), kind: 'HANDOFF', summary: 'Bot handed off to an agent at node menu (invalid)',
        bot: botStep({ step: 'handoff', flowId: flow.id, flowVersion: 3, nodeId: 'menu', reason: 'invalid' }),
      }),
      entry({
        at: iso(120), kind: 'ASSIGNMENT', summary: `Assigned to AGENT member <${alice.email}> by ADMIN member <${admin.email}>`,
        agent: aliceRef, status: 'WITH_AGENT', previousStatus: 'WAITING_AGENT', by: adminRef,
      }),
      entry({ at: iso(180), kind: 'MESSAGE', summary: 'Agent AGENT member: Alice here', message: agentMessage }),
      entry({
        at: iso(181), kind: 'MESSAGE_STATUS', summary: 'Message "Alice here" FAILED: 131047 Re-engagement message', message: agentMessage,
        messageStatus: 'FAILED', errorCode: '131047', errorTitle: 'Re-engagement message',
      }),
      entry({ at: iso(200), kind: 'REACTION', summary: 'Customer reacted 👍', emoji: '👍', targetWamid: `wamid.${ids.botMessage}` }),
      entry({
        at: iso(240), kind: 'STATUS_CHANGE', summary: `Status WITH_AGENT → CLOSED by AGENT member <${alice.email}>`, status: 'CLOSED', previousStatus: 'WITH_AGENT',
        by: { kind: 'MEMBER', id: alice.id, name: 'AGENT member', email: alice.email },
      }),
      entry({ at: iso(300), kind: 'BOT_STEP', summary: 'Bot session expired at node menu', bot: botStep({ step: 'expired', flowId: flow.id, flowVersion: 3, nodeId: 'menu' }) }),
      entry({ at: iso(301), kind: 'WINDOW_CLOSING_SOON', summary: 'The 24-hour window closes at 2026-03-03T10:00:00.000Z' }),
    ]);
    expect(JSON.stringify(entries)).not.toContain('secret@example.com');
  });

  it('pages by event cursor: pages of 4 add up to the whole transcript, and `after` the last gives nothing', async () => {
    const whole = await allEntries(a, conversationId);
    const pages: any[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = await transcript(a, { conversationId, first: 4, after });
      expect(page.totalCount).toBe(17);
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      pages.push(page);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages.map((page) => page.edges.length)).toEqual([4, 4, 4, 4, 1]);
    expect(pages.flatMap((page) => page.edges.map((edge: any) => edge.node))).toEqual(whole);

    const beyond = await transcript(a, { conversationId, first: 4, after: whole.at(-1).cursor });
    expect(beyond).toEqual({ totalCount: 17, pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null }, edges: [] });
    // Any entry's cursor continues right after that entry.
    const middle = await transcript(a, { conversationId, first: 2, after: whole[9].cursor });
    expect(middle.edges.map((edge: any) => edge.node)).toEqual(whole.slice(10, 12));
  });

  it("refuses another organization's conversation exactly like an unknown one", async () => {
    const b = app.client(orgB.ownerKey);
    const foreign = await firstError(b.request(TRANSCRIPT, { conversationId }));
    const unknown = await firstError(b.request(TRANSCRIPT, { conversationId: randomUUID() }));
    expect(foreign.extensions).toEqual({ code: 'NOT_FOUND', field: 'conversationId' });
    expect(foreign.message).toBe(unknown.message);
    expect(unknown.extensions).toEqual(foreign.extensions);
  });

  it.each([
    ['a conversation id that is no uuid', { conversationId: "1' or '1'='1" }, 'NOT_FOUND', 'conversationId'],
    ['first 0', { first: 0 }, 'BAD_USER_INPUT', 'first'],
    ['first 101', { first: 101 }, 'BAD_USER_INPUT', 'first'],
    ['a cursor that is not a number', { after: 'abc' }, 'BAD_USER_INPUT', 'after'],
    ['a negative cursor', { after: '-5' }, 'BAD_USER_INPUT', 'after'],
    ['a cursor past the largest event id', { after: '99999999999999999999' }, 'BAD_USER_INPUT', 'after'],
    ['a cursor of another connection', { after: Buffer.from(JSON.stringify(['2026-03-02T10:00:00.000Z', randomUUID()])).toString('base64url') }, 'BAD_USER_INPUT', 'after'],
  ])('refuses %s, naming the field', async (_case, variables, code, field) => {
    const error = await firstError(a.request(TRANSCRIPT_CURSORS, { conversationId, ...variables }));
    expect(error.extensions).toMatchObject({ code, field });
  });

  it('asks for credentials', async () => {
    expect(await errorCodes(app.client().request(TRANSCRIPT, { conversationId }))).toEqual(['UNAUTHENTICATED']);
  });

  describe('JSON-lines export', () => {
    it('streams one JSON object per entry, exactly the entries of the query without empty fields', async () => {
      const response = await download(conversationId, orgA.ownerKey);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
      expect(response.headers.get('content-disposition')).toBe(`attachment; filename="transcript-${conversationId}.jsonl"`);
      const body = await response.text();
      expect(body.endsWith('\n')).toBe(true);
      const lines = body.slice(0, -1).split('\n');
      expect(lines).toHaveLength(17);
      const parsed = lines.map((line) => JSON.parse(line));
      expect(parsed).toEqual(withoutNulls(await allEntries(a, conversationId)));
    });

    it('accepts a member JWT as well as an API key', async () => {
      const response = await download(conversationId, alice.token);
      expect(response.status).toBe(200);
      expect((await response.text()).trim().split('\n')).toHaveLength(17);
    });

    it('reads a long conversation in pages: 1,201 lines, in log order', async () => {
      const response = await download(bigConversationId, orgA.ownerKey);
      expect(response.status).toBe(200);
      const lines = (await response.text()).trim().split('\n').map((line) => JSON.parse(line));
      expect(lines).toHaveLength(1201);
      expect(lines[0]).toMatchObject({ kind: 'CONVERSATION_OPENED' });
      expect(lines.slice(1).map((line) => line.bot.nodeId)).toEqual(Array.from({ length: 1200 }, (_, i) => `n${i + 1}`));
      const cursors = lines.map((line) => BigInt(line.cursor));
      expect(cursors.every((cursor, i) => i === 0 || cursor > cursors[i - 1]!)).toBe(true);
      expect((await transcript(a, { conversationId: bigConversationId, first: 1 })).totalCount).toBe(1201);
    });

    it('exports the log as it stood when the export began: an event logged meanwhile is left for the next one', async () => {
      const response = await download(bigConversationId, orgA.ownerKey);
      // Headers go out with the first page, read after the export fixed its last event.
      expect(response.status).toBe(200);
      await sql(systemEm(app.orm), `insert into conversation_event (organization_id, conversation_id, type, data, created_at) values (?, ?, 'WINDOW_CLOSING_SOON', '{}'::jsonb, now())`, [
        orgA.id,
        bigConversationId,
      ]);
      expect((await response.text()).trim().split('\n')).toHaveLength(1201);
      const next = await download(bigConversationId, orgA.ownerKey);
      expect((await next.text()).trim().split('\n')).toHaveLength(1202);
    });

    it('answers 401 without valid credentials, 403 to the operator, 404 for unknown and foreign conversations', async () => {
      const none = await download(conversationId);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expect(((await none.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect((await download(conversationId, 'wak_not-a-real-key')).status).toBe(401);
      const operator = await download(conversationId, TEST_SECRETS.ADMIN_TOKEN);
      expect(operator.status).toBe(403);

      const foreign = await download(conversationId, orgB.ownerKey);
      const unknown = await download(randomUUID(), orgB.ownerKey);
      const malformed = await download("x' or 1=1 --", orgB.ownerKey);
      for (const response of [foreign, unknown, malformed]) expect(response.status).toBe(404);
      const bodies = await Promise.all([foreign, unknown, malformed].map((response) => response.json()));
      expect(bodies[0]).toEqual({ errors: [{ message: 'Conversation not found', extensions: { code: 'NOT_FOUND', field: 'id' } }] });
      expect(bodies[1]).toEqual(bodies[0]);
      expect(bodies[2]).toEqual(bodies[0]);
    });
  });

  it('shows what the real runtime logged: bot steps, the handoff, the assignment, the agent message and its delivery', async () => {
    const bob = await addMember(app, orgA.ownerKey, 'AGENT');
    const channel = await createChannel(app, fake, orgA.ownerKey);
    const flowId = await publishedFlow(a, {
      start: 'ask',
      nodes: [
        { id: 'ask', type: 'question', text: 'What do you need?', saveAs: 'need', next: 'agent' },
        { id: 'agent', type: 'handoff', text: 'Connecting you to a person...' },
      ],
    });
    await setDefaultFlow(a, channel.id, flowId);
    const customer = new ChatCustomer(app, fake, channel);
    await customer.say('hi');
    await customer.say('my order is late');
    const id = (await customer.conversation()).id;
    await app.client(bob.token).request(ASSIGN, { input: { conversationId: id, userId: bob.id } });
    await app.client(bob.token).request(SEND_MESSAGE, { input: { conversationId: id, text: 'Bob here' } });
    await waitForQueuesIdle(app.queues);
    await app.client(bob.token).request(CLOSE, { input: { conversationId: id } });

    const entries = await allEntries(app.client(bob.token), id);
    const [logged] = await query<{ count: string }>(app, 'select count(*) from conversation_event where conversation_id = ?', [id]);
    expect(entries).toHaveLength(Number(logged!.count));
    const outline = entries
      .filter((node) => node.kind !== 'MESSAGE_STATUS')
      .map((node) => [node.kind, node.message?.author ?? node.bot?.step ?? node.status ?? null]);
    expect(outline).toEqual([
      ['CONVERSATION_OPENED', null],
      ['MESSAGE', 'CUSTOMER'],
      ['MESSAGE', 'BOT'],
      ['BOT_STEP', 'node_entered'],
      ['STATUS_CHANGE', 'BOT'],
      ['MESSAGE', 'CUSTOMER'],
      // A bot turn logs the messages it queued, then its steps.
      ['MESSAGE', 'BOT'],
      ['BOT_STEP', 'variable_set'],
      ['BOT_STEP', 'node_entered'],
      ['HANDOFF', 'handoff'],
      ['STATUS_CHANGE', 'WAITING_AGENT'],
      ['ASSIGNMENT', 'WITH_AGENT'],
      ['MESSAGE', 'AGENT'],
      ['STATUS_CHANGE', 'CLOSED'],
    ]);
    const assignment = entries.find((node) => node.kind === 'ASSIGNMENT');
    expect(assignment.agent).toEqual({ id: bob.id, name: 'AGENT member', email: bob.email });
    expect(assignment.by).toEqual({ kind: 'MEMBER', id: bob.id, name: 'AGENT member', email: bob.email });
    const agentMessage = entries.find((node) => node.kind === 'MESSAGE' && node.message.author === 'AGENT');
    expect(agentMessage.message).toMatchObject({ direction: 'OUT', text: 'Bob here', authorUser: { id: bob.id, name: 'AGENT member', email: bob.email } });
    // The fake Graph API accepted it: its SENT (and later) statuses follow it in the transcript.
    const statuses = entries.filter((node) => node.kind === 'MESSAGE_STATUS' && node.message.id === agentMessage.message.id).map((node) => node.messageStatus);
    expect(statuses[0]).toBe('SENT');

    const lines = (await (await download(id, bob.token)).text()).trim().split('\n');
    expect(lines).toHaveLength(entries.length);
  });
});
