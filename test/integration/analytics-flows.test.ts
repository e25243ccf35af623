import { gql, type GraphQLClient } from 'graphql-request';
import { systemEm } from '../../src/db/entity-manager';
import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { flowFactsBuilder } from '../../src/services/analytics/flows/flow-facts.builder';
import { at, createTestChannel, History, plusSeconds, refresh } from '../helpers/analytics-history';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import { createOrganization, errorCodes, firstError, type TestOrganization } from '../helpers/fixtures';
import { ChatCustomer, HANDOFF, UPDATE_FLOW_DRAFT, createFlow, publishFlow, setDefaultFlow } from '../helpers/flows';
import { createApiKey } from '../helpers/members';
import { createChannel, query } from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';
import { waitFor } from '../helpers/wait';

/**
 * flowReport and flowFunnel over hand-built histories logged the way the runtime logs them (per
 * step: the customer's message, the bot's replies naming their node, then the BOT events), read
 * through GraphQL after the real refresher ran. Every expected figure is worked out below from
 * the sessions as written.
 */

const REPORT_FIELDS = `
  from to sessionsStarted completed handedOff abandoned active completionRate handoffRate abandonmentRate
  medianDurationSeconds p90DurationSeconds messagesPerSession`;
const FLOW_REPORT = gql`
  query ($flowId: ID!, $version: Int, $range: AnalyticsRangeInput!) {
    flowReport(flowId: $flowId, version: $version, range: $range) {
      flowId version timeZone channelId ${REPORT_FIELDS}
      previous { ${REPORT_FIELDS} }
      change { sessionsStarted completed handedOff abandoned completionRate handoffRate abandonmentRate medianDurationSeconds p90DurationSeconds messagesPerSession }
      days { date sessionsStarted completed handedOff abandoned }
    }
  }
`;
const FLOW_FUNNEL = gql`
  query ($flowId: ID!, $version: Int!, $range: AnalyticsRangeInput!) {
    flowFunnel(flowId: $flowId, version: $version, range: $range) {
      flowId version start from to timeZone channelId sessionsStarted
      nodes {
        nodeId type waitsForReply visits sessions conversations
        exits { continued retried validationFailed abandoned handedOff ended waiting }
        invalidAnswers retries dropOffs dropOffRate deliveryFailed wentSilent medianSecondsToAnswer
      }
    }
  }
`;
const REBUILD = gql`
  mutation ($input: RebuildAnalyticsInput!) { rebuildAnalytics(input: $input) { id state } }
`;
const REBUILD_STATE = gql`
  query ($id: ID!) { analyticsRebuild(id: $id) { state progress failedReason } }
`;

const signupFlow = (greeting: string) => ({
  start: 'welcome',
  sessionTtlMinutes: 60,
  nodes: [
    {
      id: 'welcome', type: 'message', text: greeting,
      buttons: [{ id: 'yes', title: 'Sign up', next: 'ask_email' }, { id: 'no', title: 'Talk to us', next: 'agent' }, { id: 'later', title: 'Later', next: 'later' }],
    },
    {
      id: 'ask_email', type: 'question', text: 'Your email?', validate: { kind: 'email' }, saveAs: 'email',
      retryText: 'That is not an email', maxAttempts: 2, next: 'bye', onInvalid: 'agent',
    },
    { id: 'agent', type: 'handoff', text: 'Connecting you to a person...' },
    { id: 'bye', type: 'end', text: 'Welcome aboard' },
    { id: 'later', type: 'end', text: 'See you' },
  ],
});

const FROM = '2026-03-02T00:00:00.000Z';
const TO = '2026-03-09T00:00:00.000Z';
const RANGE = { from: FROM, to: TO, timeZone: 'UTC' };

/** percentile_cont over values, as PostgreSQL computes it: linear between the closest ranks. */
function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = fraction * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/**
 * The scheduled refresher may hold the state row when a test refreshes: `refresh` then skips
 * (ran: false) while that pass may not have seen the newest events yet. Retry until a pass of ours ran.
 */
const refreshed = (app: TestApp) =>
  waitFor(async () => (await refresh(app)).ran, { what: 'a refresher pass of our own', timeoutMs: 20_000 });

describe('flow analytics', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let orgA: TestOrganization;
  let orgB: TestOrganization;
  let a: GraphQLClient;
  let b: GraphQLClient;
  let flowId: string;
  let flowB: string;
  let channel1: string;
  let channel2: string;
  let channelB: string;

  /** The runtime's shape of a session of the signup flow, step by step. */
  class Sessions {
    constructor(
      readonly history: History,
      readonly flow: { id: string; version: number },
    ) {}

    /** One bot step: the customer's message (unless the bot moves by itself), the replies, then the BOT events. */
    async step(conversationId: string, time: Date, step: { inbound?: boolean; replies?: string[]; failed?: string[]; events: Record<string, unknown>[] }) {
      if (step.inbound !== false) await this.history.message({ conversationId, direction: 'IN', at: time, text: 'answer' });
      for (const nodeId of step.replies ?? []) {
        const failed = step.failed?.includes(nodeId);
        await this.history.message({
          conversationId, direction: 'OUT', at: time, authorKind: 'BOT', flow: { ...this.flow, nodeId }, sentAt: plusSeconds(time, 1),
          ...(failed ? { failedAt: plusSeconds(time, 2), errorCode: '131026', errorTitle: 'Message undeliverable' } : { deliveredAt: plusSeconds(time, 2) }),
        });
      }
      for (const event of step.events) await this.history.bot(conversationId, this.flow, event, time);
    }

    async conversation(channelId: string, openedAt: Date): Promise<string> {
      const contactId = await this.history.contact({ firstSeenAt: openedAt });
      return this.history.conversation({ channelId, contactId, openedAt, status: 'BOT' });
    }

    start(conversationId: string, time: Date, failed: string[] = []) {
      return this.step(conversationId, time, { replies: ['welcome'], failed, events: [{ type: 'node_entered', nodeId: 'welcome' }] });
    }

    tapSignUp(conversationId: string, time: Date, failed: string[] = []) {
      return this.step(conversationId, time, { replies: ['ask_email'], failed, events: [{ type: 'node_entered', nodeId: 'ask_email' }] });
    }

    tapTalk(conversationId: string, time: Date) {
      return this.step(conversationId, time, {
        replies: ['agent'],
        events: [{ type: 'node_entered', nodeId: 'agent' }, { type: 'handoff', nodeId: 'agent', reason: 'node' }],
      });
    }

    validEmail(conversationId: string, time: Date) {
      return this.step(conversationId, time, {
        replies: ['bye'],
        events: [{ type: 'variable_set', name: 'email', value: 'a@b.co' }, { type: 'node_entered', nodeId: 'bye' }, { type: 'ended', nodeId: 'bye' }],
      });
    }

    invalidEmail(conversationId: string, time: Date, attempts: number) {
      if (attempts < 2) {
        return this.step(conversationId, time, {
          replies: ['ask_email'],
          events: [{ type: 'validation_failed', nodeId: 'ask_email', attempts }, { type: 'retried', nodeId: 'ask_email' }],
        });
      }
      return this.step(conversationId, time, {
        replies: ['agent'],
        events: [
          { type: 'validation_failed', nodeId: 'ask_email', attempts },
          { type: 'node_entered', nodeId: 'agent' },
          { type: 'handoff', nodeId: 'agent', reason: 'node' },
        ],
      });
    }

    expired(conversationId: string, time: Date, nodeId: string) {
      return this.history.event(conversationId, 'BOT', { type: 'expired', flowId: this.flow.id, flowVersion: this.flow.version, nodeId }, time);
    }

    /** welcome, sign up after `tap` s, a valid email after `answer` s more: completed. */
    async completed(conversationId: string, start: Date, tap: number, answer: number) {
      await this.start(conversationId, start);
      await this.tapSignUp(conversationId, plusSeconds(start, tap));
      await this.validEmail(conversationId, plusSeconds(start, tap + answer));
    }
  }

  const report = (client: GraphQLClient, variables: Record<string, unknown>) =>
    client.request<{ flowReport: any }>(FLOW_REPORT, variables).then((result) => result.flowReport);
  const funnel = (client: GraphQLClient, variables: Record<string, unknown>) =>
    client.request<{ flowFunnel: any }>(FLOW_FUNNEL, variables).then((result) => result.flowFunnel);
  const nodeOf = (result: any, nodeId: string) => result.nodes.find((node: any) => node.nodeId === nodeId);

  beforeAll(async () => {
    ({ app, fake, stop } = await startAppWithFakeGraph());
    orgA = await createOrganization(app, 'Flow analytics A');
    orgB = await createOrganization(app, 'Flow analytics B');
    a = app.client(orgA.ownerKey);
    b = app.client(orgB.ownerKey);
    channel1 = await createTestChannel(app, orgA.ownerKey);
    channel2 = await createTestChannel(app, orgA.ownerKey);
    channelB = await createTestChannel(app, orgB.ownerKey);

    flowId = await createFlow(a, signupFlow('Hi! Sign up?'), 'Signup');
    expect(await publishFlow(a, flowId)).toBe(1);
    await a.request(UPDATE_FLOW_DRAFT, { input: { flowId, definition: signupFlow('Hello! Sign up?') } });
    expect(await publishFlow(a, flowId)).toBe(2);
    flowB = await createFlow(b, signupFlow('Hi from B'), 'Signup B');
    await publishFlow(b, flowB);

    const v1 = new Sessions(new History(app, orgA.id), { id: flowId, version: 1 });
    const v2 = new Sessions(v1.history, { id: flowId, version: 2 });

    // Current period [Mar 2, Mar 9), version 1 unless said otherwise:
    // S1 (conversation c1, starts exactly at `from`): tap 20 s, email 30 s later: completed, 50 s, 2 in + 3 out.
    const c1 = await v1.conversation(channel1, at(FROM));
    await v1.completed(c1, at(FROM), 20, 30);
    // S2 (c1 again, a new session): tap 10 s, invalid email at 40 s (retry), valid at 100 s: completed, 100 s, 3 in + 4 out.
    const s2 = at('2026-03-04T12:00:00Z');
    await v1.start(c1, s2);
    await v1.tapSignUp(c1, plusSeconds(s2, 10));
    await v1.invalidEmail(c1, plusSeconds(s2, 40), 1);
    await v1.validEmail(c1, plusSeconds(s2, 100));
    // S3: "Talk to us" after 30 s: handed off at the handoff node, 30 s, 1 in + 2 out.
    const s3 = at('2026-03-05T09:00:00Z');
    const c3 = await v1.conversation(channel1, s3);
    await v1.start(c3, s3);
    await v1.tapTalk(c3, plusSeconds(s3, 30));
    await v1.history.event(c3, 'STATUS_CHANGED', { status: 'WAITING_AGENT', previous: 'BOT', by: 'bot' }, plusSeconds(s3, 30));
    // S4: sign up after 15 s, but the email question never arrived (FAILED); the sweep expires it 2 h later:
    // abandoned at ask_email by a delivery failure, 15 s, 1 in + 2 out.
    const s4 = at('2026-03-06T15:00:00Z');
    const c4 = await v1.conversation(channel1, s4);
    await v1.start(c4, s4);
    await v1.tapSignUp(c4, plusSeconds(s4, 15), ['ask_email']);
    await v1.expired(c4, plusSeconds(s4, 2 * 3600), 'ask_email');
    // S5: sign up after 25 s, then silence; no expired event was logged, but its 60-minute TTL is long past:
    // abandoned at ask_email, went silent, 25 s, 1 in + 2 out.
    const s5 = at('2026-03-07T20:00:00Z');
    const c5 = await v1.conversation(channel1, s5);
    await v1.start(c5, s5);
    await v1.tapSignUp(c5, plusSeconds(s5, 25));
    // S6 (channel 2, 23:30 UTC: the next day in Tokyo): tap 10 s, email 10 s later: completed, 20 s, 2 in + 3 out.
    const s6 = at('2026-03-08T23:30:00Z');
    const c6 = await v1.conversation(channel2, s6);
    await v1.completed(c6, s6, 10, 10);
    // S7 (version 2): tap 5 s, invalid at 10 s (retry), invalid at 20 s (the last allowed): on to agent, handed off; 20 s, 3 in + 4 out.
    const s7 = at('2026-03-05T10:00:00Z');
    const c7 = await v2.conversation(channel1, s7);
    await v2.start(c7, s7);
    await v2.tapSignUp(c7, plusSeconds(s7, 5));
    await v2.invalidEmail(c7, plusSeconds(s7, 10), 1);
    await v2.invalidEmail(c7, plusSeconds(s7, 20), 2);

    // Previous period [Feb 23, Mar 2): P1 completed in 40 s (2 in + 3 out); P2 expired at welcome, 0 s (0 in + 1 out).
    const p1 = at('2026-02-25T10:00:00Z');
    await v1.completed(await v1.conversation(channel1, p1), p1, 10, 30);
    const p2 = at('2026-02-27T08:00:00Z');
    const cp2 = await v1.conversation(channel1, p2);
    await v1.start(cp2, p2);
    await v1.expired(cp2, plusSeconds(p2, 3 * 3600), 'welcome');

    // Exactly at `to`: outside the range (ends are exclusive).
    const edge = at(TO);
    await v1.completed(await v1.conversation(channel1, edge), edge, 5, 5);

    // Organization B: one completed session of its own flow in the same week.
    const other = new Sessions(new History(app, orgB.id), { id: flowB, version: 1 });
    const sb = at('2026-03-03T10:00:00Z');
    await other.completed(await other.conversation(channelB, sb), sb, 8, 8);

    await refreshed(app);
  });

  afterAll(async () => {
    await stop?.();
  });

  // Current period, all versions: S1..S7.
  const durations = [50, 100, 30, 15, 25, 20, 20];
  const messages = [5, 7, 3, 3, 3, 5, 7];
  // Previous period: P1, P2.
  const previousDurations = [40, 0];
  const previousMessages = [5, 1];

  describe('flowReport', () => {
    it('counts outcomes, rates, durations and messages, against the previous period', async () => {
      const result = await report(a, { flowId, range: RANGE });
      const current = {
        from: FROM,
        to: TO,
        sessionsStarted: 7,
        completed: 3, // S1, S2, S6
        handedOff: 2, // S3, S7
        abandoned: 2, // S4 (expired), S5 (idle past its TTL)
        active: 0,
        completionRate: 3 / 7,
        handoffRate: 2 / 7,
        abandonmentRate: 2 / 7,
        medianDurationSeconds: percentile(durations, 0.5), // 25
        p90DurationSeconds: percentile(durations, 0.9), // 50 + 0.4 * 50 = 70
        messagesPerSession: sum(messages) / 7,
      };
      const previous = {
        from: '2026-02-23T00:00:00.000Z',
        to: FROM,
        sessionsStarted: 2,
        completed: 1,
        handedOff: 0,
        abandoned: 1,
        active: 0,
        completionRate: 0.5,
        handoffRate: 0,
        abandonmentRate: 0.5,
        medianDurationSeconds: percentile(previousDurations, 0.5), // 20
        p90DurationSeconds: percentile(previousDurations, 0.9), // 36
        messagesPerSession: sum(previousMessages) / 2,
      };
      expect(percentile(durations, 0.9)).toBeCloseTo(70);
      expect(result).toMatchObject({ flowId, version: null, timeZone: 'UTC', channelId: null });
      for (const [key, value] of Object.entries(current)) expect([key, result[key]]).toEqual([key, typeof value === 'number' ? expect.closeTo(value, 9) : value]);
      for (const [key, value] of Object.entries(previous)) expect([key, result.previous[key]]).toEqual([key, typeof value === 'number' ? expect.closeTo(value, 9) : value]);
      expect(result.change).toEqual({
        sessionsStarted: 5,
        completed: 2,
        handedOff: 2,
        abandoned: 1,
        completionRate: expect.closeTo(3 / 7 - 0.5, 9),
        handoffRate: expect.closeTo(2 / 7, 9),
        abandonmentRate: expect.closeTo(2 / 7 - 0.5, 9),
        medianDurationSeconds: expect.closeTo(25 - 20, 9),
        p90DurationSeconds: expect.closeTo(70 - 36, 9),
        messagesPerSession: expect.closeTo(sum(messages) / 7 - 3, 9),
      });
    });

    it('counts sessions per local day, every day of the range, in the time zone asked for', async () => {
      const utc = await report(a, { flowId, range: RANGE });
      const day = (date: string, sessionsStarted: number, completed: number, handedOff: number, abandoned: number) => ({ date, sessionsStarted, completed, handedOff, abandoned });
      expect(utc.days).toEqual([
        day('2026-03-02', 1, 1, 0, 0), // S1
        day('2026-03-03', 0, 0, 0, 0),
        day('2026-03-04', 1, 1, 0, 0), // S2
        day('2026-03-05', 2, 0, 2, 0), // S3, S7
        day('2026-03-06', 1, 0, 0, 1), // S4
        day('2026-03-07', 1, 0, 0, 1), // S5
        day('2026-03-08', 1, 1, 0, 0), // S6 at 23:30
      ]);
      // Tokyo is UTC+9: the range runs from 09:00 on Mar 2 to 09:00 on Mar 9, local time.
      const tokyo = await report(a, { flowId, range: { ...RANGE, timeZone: 'Asia/Tokyo' } });
      expect(tokyo.timeZone).toBe('Asia/Tokyo');
      expect(tokyo.days).toEqual([
        day('2026-03-02', 1, 1, 0, 0), // S1 at 09:00
        day('2026-03-03', 0, 0, 0, 0),
        day('2026-03-04', 1, 1, 0, 0), // S2 at 21:00
        day('2026-03-05', 2, 0, 2, 0), // S3 at 18:00, S7 at 19:00
        day('2026-03-06', 0, 0, 0, 0),
        day('2026-03-07', 1, 0, 0, 1), // S4 at 00:00 on the 7th
        day('2026-03-08', 1, 0, 0, 1), // S5 at 05:00 on the 8th
        day('2026-03-09', 1, 1, 0, 0), // S6 at 08:30 on the 9th
      ]);
      expect(tokyo.sessionsStarted).toBe(utc.sessionsStarted);
    });

    it('filters by version and by channel', async () => {
      const v1 = await report(a, { flowId, version: 1, range: RANGE });
      const v1Durations = [50, 100, 30, 15, 25, 20]; // S1..S6
      expect(v1).toMatchObject({
        version: 1,
        sessionsStarted: 6,
        completed: 3,
        handedOff: 1,
        abandoned: 2,
        medianDurationSeconds: percentile(v1Durations, 0.5), // 27.5
        p90DurationSeconds: percentile(v1Durations, 0.9), // 75
        messagesPerSession: expect.closeTo(sum([5, 7, 3, 3, 3, 5]) / 6, 9),
      });
      const v2 = await report(a, { flowId, version: 2, range: RANGE });
      expect(v2).toMatchObject({ sessionsStarted: 1, handedOff: 1, completionRate: 0, handoffRate: 1, medianDurationSeconds: 20, messagesPerSession: 7 });
      expect(v2.previous).toMatchObject({ sessionsStarted: 0, completionRate: null, medianDurationSeconds: null, messagesPerSession: null });
      expect(v2.change).toMatchObject({ sessionsStarted: 1, completionRate: null, medianDurationSeconds: null });

      const second = await report(a, { flowId, range: { ...RANGE, channelId: channel2 } });
      expect(second).toMatchObject({ channelId: channel2, sessionsStarted: 1, completed: 1, medianDurationSeconds: 20, p90DurationSeconds: 20, messagesPerSession: 5 });
      const first = await report(a, { flowId, range: { ...RANGE, channelId: channel1 } });
      expect(first).toMatchObject({ sessionsStarted: 6, completed: 2, handedOff: 2, abandoned: 2 });
    });

    it('includes a session starting exactly at `from` and leaves out one starting exactly at `to`', async () => {
      const next = await report(a, { flowId, range: { from: TO, to: '2026-03-10T00:00:00.000Z', timeZone: 'UTC' } });
      expect(next).toMatchObject({ sessionsStarted: 1, completed: 1, medianDurationSeconds: 10, messagesPerSession: 5 });
      expect(next.previous.sessionsStarted).toBe(1); // its previous period is Mar 8: S6
      const justFrom = await report(a, { flowId, range: { from: FROM, to: '2026-03-02T00:00:00.001Z', timeZone: 'UTC' } });
      expect(justFrom.sessionsStarted).toBe(1);
      const justBefore = await report(a, { flowId, range: { from: '2026-03-01T00:00:00.000Z', to: FROM, timeZone: 'UTC' } });
      expect(justBefore.sessionsStarted).toBe(0);
    });

    it('answers a range with no data with zeros and null rates, never an error', async () => {
      const empty = await report(a, { flowId, range: { from: '2025-01-01T00:00:00Z', to: '2025-01-03T00:00:00Z', timeZone: 'Europe/Berlin' } });
      const zeros = { sessionsStarted: 0, completed: 0, handedOff: 0, abandoned: 0, active: 0, completionRate: null, handoffRate: null, abandonmentRate: null, medianDurationSeconds: null, p90DurationSeconds: null, messagesPerSession: null };
      expect(empty).toMatchObject(zeros);
      expect(empty.previous).toMatchObject(zeros);
      // Berlin is UTC+1 in January: Jan 1 01:00 to Jan 3 01:00 local.
      expect(empty.days.map((d: any) => [d.date, d.sessionsStarted])).toEqual([['2025-01-01', 0], ['2025-01-02', 0], ['2025-01-03', 0]]);
    });

    it('counts a session still waiting within its TTL as active, not abandoned', async () => {
      const history = new History(app, orgA.id);
      const live = new Sessions(history, { id: flowId, version: 2 });
      const started = new Date(Date.now() - 5 * 60_000);
      const conversationId = await live.conversation(channel2, started);
      await live.start(conversationId, started);
      await refreshed(app);
      const range = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString(), channelId: channel2 };
      const result = await report(a, { flowId, range });
      expect(result).toMatchObject({ sessionsStarted: 1, active: 1, abandoned: 0, medianDurationSeconds: null, messagesPerSession: 1 });
      const nodes = await funnel(a, { flowId, version: 2, range });
      expect(nodeOf(nodes, 'welcome')).toMatchObject({ visits: 1, exits: { continued: 0, abandoned: 0, waiting: 1 }, dropOffs: 0, dropOffRate: 0 });
    });
  });

  describe('flowFunnel', () => {
    it('lists every node of the version with visits, exits, drop-off split and time to answer', async () => {
      const result = await funnel(a, { flowId, version: 1, range: RANGE });
      expect(result).toMatchObject({ flowId, version: 1, start: 'welcome', from: FROM, to: TO, timeZone: 'UTC', sessionsStarted: 6 });
      expect(result.nodes.map((node: any) => [node.nodeId, node.type, node.waitsForReply])).toEqual([
        ['welcome', 'message', true],
        ['ask_email', 'question', true],
        ['agent', 'handoff', false],
        ['bye', 'end', false],
        ['later', 'end', false],
      ]);
      const none = { continued: 0, retried: 0, validationFailed: 0, abandoned: 0, handedOff: 0, ended: 0, waiting: 0 };
      // S1..S6 all tapped: taps after 20, 10, 30, 15, 25 and 10 s; S1 and S2 share a conversation.
      expect(nodeOf(result, 'welcome')).toEqual({
        nodeId: 'welcome', type: 'message', waitsForReply: true, visits: 6, sessions: 6, conversations: 5,
        exits: { ...none, continued: 6 }, invalidAnswers: 0, retries: 0, dropOffs: 0, dropOffRate: 0, deliveryFailed: 0, wentSilent: 0,
        medianSecondsToAnswer: percentile([20, 10, 30, 15, 25, 10], 0.5), // 17.5
      });
      // S1 answered after 30 s, S2 first answered (invalid) after 30 s then got through, S6 after 10 s; S4 and S5 dropped off.
      expect(nodeOf(result, 'ask_email')).toEqual({
        nodeId: 'ask_email', type: 'question', waitsForReply: true, visits: 5, sessions: 5, conversations: 4,
        exits: { ...none, continued: 2, retried: 1, abandoned: 2 }, invalidAnswers: 1, retries: 1,
        dropOffs: 2, dropOffRate: 2 / 5, deliveryFailed: 1, wentSilent: 1, medianSecondsToAnswer: 30,
      });
      expect(nodeOf(result, 'agent')).toMatchObject({ visits: 1, sessions: 1, exits: { ...none, handedOff: 1 }, dropOffs: 0, medianSecondsToAnswer: null });
      expect(nodeOf(result, 'bye')).toMatchObject({ visits: 3, sessions: 3, conversations: 2, exits: { ...none, ended: 3 } });
      expect(nodeOf(result, 'later')).toEqual({
        nodeId: 'later', type: 'end', waitsForReply: false, visits: 0, sessions: 0, conversations: 0, exits: none,
        invalidAnswers: 0, retries: 0, dropOffs: 0, dropOffRate: null, deliveryFailed: 0, wentSilent: 0, medianSecondsToAnswer: null,
      });
    });

    it('counts a conversation once per node, also when its earlier session lies before the range', async () => {
      // S1 and S2 share conversation c1: in the whole range welcome has 6 sessions of 5 conversations.
      // From Mar 3 on, S2 is the only session of c1 in range, so c1 counts there.
      const later = await funnel(a, { flowId, version: 1, range: { ...RANGE, from: '2026-03-03T00:00:00.000Z' } });
      expect(nodeOf(later, 'welcome')).toMatchObject({ sessions: 5, conversations: 5 });
      expect(nodeOf(later, 'bye')).toMatchObject({ sessions: 2, conversations: 2 });
    });

    it('shows validation failures of another version, and filters by channel', async () => {
      const v2 = await funnel(a, { flowId, version: 2, range: RANGE });
      expect(v2.sessionsStarted).toBe(1);
      expect(nodeOf(v2, 'ask_email')).toMatchObject({
        visits: 1, exits: { continued: 0, retried: 0, validationFailed: 1, abandoned: 0 }, invalidAnswers: 2, retries: 1, medianSecondsToAnswer: 5,
      });
      expect(nodeOf(v2, 'agent')).toMatchObject({ visits: 1, exits: { handedOff: 1 } });

      const onFirst = await funnel(a, { flowId, version: 1, range: { ...RANGE, channelId: channel1 } });
      expect(onFirst).toMatchObject({ channelId: channel1, sessionsStarted: 5 });
      expect(nodeOf(onFirst, 'ask_email')).toMatchObject({ visits: 4, exits: { continued: 1, retried: 1, abandoned: 2 }, medianSecondsToAnswer: 30 });
      expect(nodeOf(onFirst, 'bye')).toMatchObject({ visits: 2, conversations: 1 });
    });

    it('gives zeros for every node over a range with no data', async () => {
      const empty = await funnel(a, { flowId, version: 1, range: { from: '2024-06-01T00:00:00Z', to: '2024-06-02T00:00:00Z' } });
      expect(empty.sessionsStarted).toBe(0);
      expect(empty.nodes).toHaveLength(5);
      for (const node of empty.nodes) expect(node).toMatchObject({ visits: 0, sessions: 0, dropOffs: 0, dropOffRate: null, medianSecondsToAnswer: null });
    });
  });

  describe('rebuilding', () => {
    it('gives the same answers after the facts are thrown away and rebuilt by rebuildAnalytics', async () => {
      const before = await Promise.all([
        report(a, { flowId, range: RANGE }),
        report(a, { flowId, version: 1, range: { ...RANGE, timeZone: 'Asia/Tokyo' } }),
        funnel(a, { flowId, version: 1, range: RANGE }),
        funnel(a, { flowId, version: 2, range: RANGE }),
      ]);
      await query(app, 'delete from analytics_flow_session where organization_id = ?', [orgA.id]);
      expect((await report(a, { flowId, range: RANGE })).sessionsStarted).toBe(0);

      const job = (await a.request<any>(REBUILD, { input: { from: '2026-02-01T00:00:00Z', to: '2026-03-31T00:00:00Z' } })).rebuildAnalytics;
      const finished = await waitFor(
        async () => {
          const state = (await a.request<any>(REBUILD_STATE, { id: job.id })).analyticsRebuild;
          return state.state === 'completed' || state.state === 'failed' ? state : null;
        },
        { what: 'the analytics rebuild to finish', timeoutMs: 20_000 },
      );
      expect(finished).toEqual({ state: 'completed', progress: 100, failedReason: null });
      const after = await Promise.all([
        report(a, { flowId, range: RANGE }),
        report(a, { flowId, version: 1, range: { ...RANGE, timeZone: 'Asia/Tokyo' } }),
        funnel(a, { flowId, version: 1, range: RANGE }),
        funnel(a, { flowId, version: 2, range: RANGE }),
      ]);
      expect(after).toEqual(before);
      expect(after[0].sessionsStarted).toBe(7);
    });

    it('is idempotent: deriving the same conversations again changes no row', async () => {
      const snapshot = () => query(app, `select * from analytics_flow_node_visit where organization_id = ? order by session_id, node_id`, [orgA.id]);
      const sessions = () => query(app, `select * from analytics_flow_session where organization_id = ? order by id`, [orgA.id]);
      const [nodesBefore, sessionsBefore] = [await snapshot(), await sessions()];
      const conversationIds = [...new Set(sessionsBefore.map((row: any) => row.conversation_id as string))];
      await systemEm(app.orm).transactional((em) => flowFactsBuilder.rebuildConversations(em, [...conversationIds, 'not-a-uuid']));
      expect(await sessions()).toEqual(sessionsBefore);
      expect(await snapshot()).toEqual(nodesBefore);
      expect(sessionsBefore.length).toBeGreaterThan(0);
    });
  });

  describe('isolation and arguments', () => {
    it("answers organization B about its own flow only, and never about A's", async () => {
      const own = await report(b, { flowId: flowB, range: RANGE });
      expect(own).toMatchObject({ sessionsStarted: 1, completed: 1, medianDurationSeconds: 16, messagesPerSession: 5 });
      expect(nodeOf(await funnel(b, { flowId: flowB, version: 1, range: RANGE }), 'welcome')).toMatchObject({ visits: 1, conversations: 1 });

      for (const attempt of [() => report(b, { flowId, range: RANGE }), () => funnel(b, { flowId, version: 1, range: RANGE })]) {
        const error = await firstError(attempt());
        expect(error.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'flowId' });
      }
      // A's channel is as unknown to B as a made-up one.
      const channelError = await firstError(report(b, { flowId: flowB, range: { ...RANGE, channelId: channel1 } }));
      expect(channelError.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'range.channelId' });
      // And B's data never reaches A's figures (S1..S7 above, nothing of B's).
      expect((await report(a, { flowId, range: RANGE })).sessionsStarted).toBe(7);
    });

    it.each([
      ['to before from', { flowId: 'A', range: { from: TO, to: FROM } }, 'BAD_USER_INPUT', 'range.to'],
      ['to equal to from', { flowId: 'A', range: { from: FROM, to: FROM } }, 'BAD_USER_INPUT', 'range.to'],
      ['a range over 400 days', { flowId: 'A', range: { from: '2025-01-01T00:00:00Z', to: '2026-02-06T00:00:00Z' } }, 'BAD_USER_INPUT', 'range.to'],
      ['an unknown time zone', { flowId: 'A', range: { ...RANGE, timeZone: 'Mars/Olympus_Mons' } }, 'BAD_USER_INPUT', 'range.timeZone'],
      ['a malformed flow id', { flowId: "x' or 1=1 --", range: RANGE }, 'NOT_FOUND', 'flowId'],
      ['an unknown flow id', { flowId: '00000000-0000-4000-8000-000000000000', range: RANGE }, 'NOT_FOUND', 'flowId'],
      ['an unknown version', { flowId: 'A', version: 3, range: RANGE }, 'NOT_FOUND', 'version'],
      ['version zero', { flowId: 'A', version: 0, range: RANGE }, 'NOT_FOUND', 'version'],
      ['a negative version', { flowId: 'A', version: -1, range: RANGE }, 'NOT_FOUND', 'version'],
      ['a malformed channel id', { flowId: 'A', range: { ...RANGE, channelId: 'nope' } }, 'NOT_FOUND', 'range.channelId'],
    ])('refuses %s, naming the argument', async (_case, variables: any, code, field) => {
      const args = { ...variables, flowId: variables.flowId === 'A' ? flowId : variables.flowId };
      const funnelArgs = { version: 1, ...args };
      for (const attempt of [() => report(a, args), () => funnel(a, funnelArgs)]) {
        const error = await firstError(attempt());
        expect(error.extensions).toMatchObject({ code, field });
      }
    });

    it('answers any member role, a viewer included', async () => {
      const viewer = app.client((await createApiKey(app, orgA.ownerKey, 'VIEWER')).secret);
      expect((await report(viewer, { flowId, range: RANGE })).sessionsStarted).toBe(7);
      expect((await funnel(viewer, { flowId, version: 2, range: RANGE })).sessionsStarted).toBe(1);
    });

    it('refuses dates that are not dates, and callers without credentials', async () => {
      expect(await errorCodes(report(a, { flowId, range: { from: 'yesterday', to: TO } }))).toEqual(['BAD_USER_INPUT']);
      expect(await errorCodes(report(app.client(), { flowId, range: RANGE }))).toEqual(['UNAUTHENTICATED']);
    });
  });

  describe('with the real runtime', () => {
    it('counts the sessions a flow driven through the webhook really logs', async () => {
      const greeter = {
        start: 'ask_name',
        nodes: [
          { id: 'ask_name', type: 'question', text: 'What is your name?', saveAs: 'name', next: 'menu' },
          { id: 'menu', type: 'message', text: 'Hi {{name}}, human or bot?', buttons: [{ id: 'human', title: 'Human', next: 'agent' }, { id: 'bot', title: 'Bot', next: 'bye' }] },
          { id: 'agent', type: 'handoff', text: 'Connecting you to a person...' },
          { id: 'bye', type: 'end', text: 'Bye {{name}}' },
        ],
      };
      const channel = await createChannel(app, fake, orgA.ownerKey);
      const greeterId = await createFlow(a, greeter, 'Greeter');
      await publishFlow(a, greeterId);
      await setDefaultFlow(a, channel.id, greeterId);
      const from = new Date(Date.now() - 3_600_000).toISOString();

      const ana = new ChatCustomer(app, fake, channel, undefined, 'Ana');
      await ana.say('hi');
      expect(await ana.replies()).toEqual(['What is your name?']);
      await ana.say('Ana');
      expect(await ana.replies()).toEqual(['Hi Ana, human or bot?']);
      await ana.tap('bot', 'Bot');
      expect(await ana.replies()).toEqual(['Bye Ana']);

      // Bruno is waiting for the name question when an agent takes the conversation.
      const bruno = new ChatCustomer(app, fake, channel, undefined, 'Bruno');
      await bruno.say('hello');
      expect(await bruno.replies()).toEqual(['What is your name?']);
      await a.request(HANDOFF, { input: { conversationId: (await bruno.conversation()).id } });

      await refreshed(app);
      const range = { from, to: new Date(Date.now() + 3_600_000).toISOString() };
      const result = await report(a, { flowId: greeterId, range });
      // Ana: 2 answers + 3 bot messages; Bruno: 1 bot message.
      expect(result).toMatchObject({ sessionsStarted: 2, completed: 1, handedOff: 1, abandoned: 0, active: 0, messagesPerSession: (5 + 1) / 2 });
      const nodes = await funnel(a, { flowId: greeterId, version: 1, range });
      expect(nodes.sessionsStarted).toBe(2);
      expect(nodeOf(nodes, 'ask_name')).toMatchObject({ visits: 2, sessions: 2, conversations: 2, exits: { continued: 1, handedOff: 1 } });
      expect(nodeOf(nodes, 'ask_name').medianSecondsToAnswer).toBeGreaterThanOrEqual(0);
      expect(nodeOf(nodes, 'menu')).toMatchObject({ visits: 1, exits: { continued: 1 } });
      expect(nodeOf(nodes, 'menu').medianSecondsToAnswer).toBeGreaterThanOrEqual(0);
      expect(nodeOf(nodes, 'bye')).toMatchObject({ visits: 1, exits: { ended: 1 } });
      expect(nodeOf(nodes, 'agent')).toMatchObject({ visits: 0 });
    });
  });
});
