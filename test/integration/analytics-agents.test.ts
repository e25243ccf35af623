import { randomUUID } from 'node:crypto';
import { gql, type GraphQLClient } from 'graphql-request';
import { systemEm } from '../../src/db/entity-manager';
import { sql } from '../../src/db/sql';
import { at, createTestChannel, History, plusSeconds, refresh } from '../helpers/analytics-history';
import { createOrganization, errorCodes, firstError, type TestOrganization } from '../helpers/fixtures';
import { addMember, type TestMember } from '../helpers/members';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { waitFor } from '../helpers/wait';

/**
 * agentMetrics over hand-built histories logged the way the runtime logs them, read through GraphQL
 * after the real refresher ran. Every figure expected below is worked out by hand from the episodes
 * listed in `beforeAll`.
 */

const STATS = 'median p90 count';
const TOTALS = `episodes conversationsHandled messagesSent answeredEpisodes resolvedEpisodes
  firstResponseTime { ${STATS} } resolutionTime { ${STATS} }`;
const AGENT_METRICS = gql`
  query AgentMetrics($range: AnalyticsRangeInput!, $businessHours: BusinessHoursInput) {
    agentMetrics(range: $range, businessHours: $businessHours) {
      from to timeZone channelId
      businessHours { timeZone days start end }
      overall { ${TOTALS} unattributedEpisodes }
      agents { agentId name email ${TOTALS} }
    }
  }
`;
const REBUILD = gql`
  mutation ($input: RebuildAnalyticsInput!) { rebuildAnalytics(input: $input) { id } }
`;
const REBUILD_STATE = gql`
  query ($id: ID!) { analyticsRebuild(id: $id) { state failedReason } }
`;

const RANGE = { from: '2026-03-02T00:00:00.000Z', to: '2026-03-03T00:00:00.000Z', timeZone: 'UTC' };
/** Monday 2026-03-02, 10:00 UTC: every time below is seconds after it. */
const T = at('2026-03-02T10:00:00.000Z');
const t = (seconds: number) => plusSeconds(T, seconds);

const stats = (median: number | null, p90: number | null, count: number) => ({ median, p90, count });

interface Totals {
  episodes: number;
  conversationsHandled: number;
  messagesSent: number;
  answeredEpisodes: number;
  resolvedEpisodes: number;
  firstResponseTime: ReturnType<typeof stats>;
  resolutionTime: ReturnType<typeof stats>;
}
const totals = (values: Totals) => values;
const ZERO = totals({
  episodes: 0, conversationsHandled: 0, messagesSent: 0, answeredEpisodes: 0, resolvedEpisodes: 0,
  firstResponseTime: stats(null, null, 0), resolutionTime: stats(null, null, 0),
});

/**
 * The scheduled refresher may hold the state row when a test refreshes: `refresh` then skips
 * (ran: false) while that pass may not have seen the newest events yet. Retry until a pass of ours ran.
 */
/** Agents with equal counts come in email order (random here): compare them in id order. */
const byId = <Row extends { agentId: string }>(rows: Row[]) => [...rows].sort((x, y) => x.agentId.localeCompare(y.agentId));

const refreshed = (app: TestApp) => waitFor(async () => (await refresh(app)).ran, { what: 'a refresher pass of our own', timeoutMs: 20_000 });

describe('agentMetrics', () => {
  let app: TestApp;
  let orgA: TestOrganization;
  let orgB: TestOrganization;
  let a: GraphQLClient;
  let alice: TestMember;
  let bob: TestMember;
  let viewer: TestMember;
  let outsider: TestMember;
  let channelX: string;
  let channelY: string;
  let channelB: string;

  const metrics = async (client: GraphQLClient, variables: Record<string, unknown>) =>
    (await client.request<{ agentMetrics: any }>(AGENT_METRICS, variables)).agentMetrics;

  beforeAll(async () => {
    app = await startTestApp();
    orgA = await createOrganization(app, 'Agents A');
    orgB = await createOrganization(app, 'Agents B');
    a = app.client(orgA.ownerKey);
    alice = await addMember(app, orgA.ownerKey, 'AGENT');
    bob = await addMember(app, orgA.ownerKey, 'AGENT');
    viewer = await addMember(app, orgA.ownerKey, 'VIEWER');
    outsider = await addMember(app, orgB.ownerKey, 'AGENT');
    channelX = await createTestChannel(app, orgA.ownerKey);
    channelY = await createTestChannel(app, orgA.ownerKey);
    channelB = await createTestChannel(app, orgB.ownerKey);

    const h = new History(app, orgA.id);
    const flow = { id: randomUUID(), version: 1 };
    const open = async (channelId: string, openedAt: Date) =>
      h.conversation({ channelId, contactId: await h.contact({ firstSeenAt: openedAt }), openedAt });
    const customer = (conversationId: string, time: Date) => h.message({ conversationId, direction: 'IN', at: time, text: 'hello' });
    const agent = (conversationId: string, member: TestMember, time: Date) =>
      h.message({ conversationId, direction: 'OUT', at: time, authorKind: 'AGENT', authorUserId: member.id, text: 'On it', sentAt: plusSeconds(time, 1) });
    const assign = (conversationId: string, member: TestMember, time: Date, previous: string) =>
      h.event(conversationId, 'ASSIGNED', { userId: member.id, status: 'WITH_AGENT', previous, by: member.id }, time);
    const status = (conversationId: string, to: string, previous: string, by: string, time: Date) =>
      h.event(conversationId, 'STATUS_CHANGED', { status: to, previous, by }, time);

    // C1 (X): no bot; Alice takes it, answers at +120, closes at +600. The customer writes again at
    // +8000 (a second episode, still Alice's): answered at +8100, closed at +8200.
    const c1 = await open(channelX, t(0));
    await customer(c1, t(0));
    await assign(c1, alice, t(60), 'WAITING_AGENT');
    await agent(c1, alice, t(120));
    await agent(c1, alice, t(300));
    await status(c1, 'CLOSED', 'WITH_AGENT', alice.id, t(600));
    await customer(c1, t(8000));
    await agent(c1, alice, t(8100));
    await status(c1, 'CLOSED', 'WITH_AGENT', alice.id, t(8200));

    // C2 (X): the bot answers the first message; at +1200 it hands off. Bob answers at +1500 without
    // being assigned, Alice helps at +1600, Bob closes at +3000.
    const c2 = await open(channelX, t(1000));
    await customer(c2, t(1000));
    await h.message({ conversationId: c2, direction: 'OUT', at: t(1000), authorKind: 'BOT', text: 'Hi! Pick one' });
    await h.bot(c2, flow, { type: 'node_entered', nodeId: 'menu' }, t(1000));
    await status(c2, 'BOT', 'WAITING_AGENT', 'bot', t(1000));
    await customer(c2, t(1200));
    await h.bot(c2, flow, { type: 'node_entered', nodeId: 'agent' }, t(1200));
    await h.bot(c2, flow, { type: 'handoff', nodeId: 'agent', reason: 'node' }, t(1200));
    await status(c2, 'WAITING_AGENT', 'BOT', 'bot', t(1200));
    await agent(c2, bob, t(1500));
    await agent(c2, alice, t(1600));
    await status(c2, 'CLOSED', 'WAITING_AGENT', bob.id, t(3000));

    // C3 (Y): Alice takes it (+2100), answers (+2400), gives it back to the bot (+2500). Bob hands it
    // to the queue again (+4000), answers (+4900) and closes (+7600).
    const c3 = await open(channelY, t(2000));
    await customer(c3, t(2000));
    await assign(c3, alice, t(2100), 'WAITING_AGENT');
    await agent(c3, alice, t(2400));
    await status(c3, 'BOT', 'WITH_AGENT', alice.id, t(2500));
    await status(c3, 'WAITING_AGENT', 'BOT', bob.id, t(4000));
    await agent(c3, bob, t(4900));
    await status(c3, 'CLOSED', 'WAITING_AGENT', bob.id, t(7600));

    // C4 (Y): the customer waits; nobody answers.
    const c4 = await open(channelY, t(5000));
    await customer(c4, t(5000));

    // C5 (X): waiting since the evening before the range; Alice answers inside the range.
    const c5 = await open(channelX, at('2026-03-01T20:00:00.000Z'));
    await customer(c5, at('2026-03-01T20:00:00.000Z'));
    await agent(c5, alice, t(100));

    // Organization B: its own agent, the same day.
    const hb = new History(app, orgB.id);
    const b1 = await hb.conversation({ channelId: channelB, contactId: await hb.contact({ firstSeenAt: t(0) }), openedAt: t(0) });
    await hb.message({ conversationId: b1, direction: 'IN', at: t(0), text: 'hi' });
    await hb.message({ conversationId: b1, direction: 'OUT', at: t(50), authorKind: 'AGENT', authorUserId: outsider.id, text: 'Hello' });
    await hb.event(b1, 'STATUS_CHANGED', { status: 'CLOSED', previous: 'WAITING_AGENT', by: outsider.id }, t(70));

    await refreshed(app);
  });
  afterAll(async () => {
    await app?.stop();
  });

  // Alice: C1#1 (frt 120, rt 600, 2 msgs), C1#2 (frt 100, rt 200, 1 msg), C3#1 (frt 400, back to the bot, 1 msg);
  // plus 1 message helping in C2. Bob: C2 (frt 300, rt 1800, 1 msg), C3#2 (frt 900, rt 3600, 1 msg).
  // C4: unattributed, unanswered. C5 began before the range.
  const aliceTotals = () =>
    totals({
      episodes: 3, conversationsHandled: 2, messagesSent: 5, answeredEpisodes: 3, resolvedEpisodes: 2,
      // [100, 120, 400]: median 120; p90 at rank 1.8 = 120 + 0.8 * 280. [200, 600]: 400; 200 + 0.9 * 400.
      firstResponseTime: stats(120, 344, 3), resolutionTime: stats(400, 560, 2),
    });
  const bobTotals = () =>
    totals({
      episodes: 2, conversationsHandled: 2, messagesSent: 2, answeredEpisodes: 2, resolvedEpisodes: 2,
      // [300, 900]: 600; 300 + 0.9 * 600. [1800, 3600]: 2700; 1800 + 0.9 * 1800.
      firstResponseTime: stats(600, 840, 2), resolutionTime: stats(2700, 3420, 2),
    });

  it('reports every metric per agent and overall', async () => {
    const report = await metrics(a, { range: RANGE });
    expect(report).toMatchObject({ from: RANGE.from, to: RANGE.to, timeZone: 'UTC', channelId: null, businessHours: null });
    expect(report.overall).toEqual({
      episodes: 6, conversationsHandled: 3, messagesSent: 7, answeredEpisodes: 5, resolvedEpisodes: 4, unattributedEpisodes: 1,
      // [100, 120, 300, 400, 900]: 300; rank 3.6 = 400 + 0.6 * 500. [200, 600, 1800, 3600]: 1200; rank 2.7 = 1800 + 0.7 * 1800.
      firstResponseTime: stats(300, 700, 5), resolutionTime: stats(1200, 3060, 4),
    });
    expect(report.agents).toEqual([
      { agentId: alice.id, name: 'AGENT member', email: alice.email, ...aliceTotals() },
      { agentId: bob.id, name: 'AGENT member', email: bob.email, ...bobTotals() },
    ]);
  });

  it('counts an episode in the range where it began', async () => {
    const before = await metrics(a, { range: { ...RANGE, from: '2026-03-01T00:00:00.000Z', to: '2026-03-02T00:00:00.000Z' } });
    // C5: waiting since 20:00, answered at 10:01:40 the next day (50,500 s); still open.
    expect(before.overall).toEqual({
      episodes: 1, conversationsHandled: 1, messagesSent: 1, answeredEpisodes: 1, resolvedEpisodes: 0, unattributedEpisodes: 0,
      firstResponseTime: stats(50_500, 50_500, 1), resolutionTime: stats(null, null, 0),
    });
    expect(before.agents).toEqual([{ agentId: alice.id, name: 'AGENT member', email: alice.email, ...totals({
      episodes: 1, conversationsHandled: 1, messagesSent: 1, answeredEpisodes: 1, resolvedEpisodes: 0,
      firstResponseTime: stats(50_500, 50_500, 1), resolutionTime: stats(null, null, 0),
    }) }]);

    // From 11:00: C3#2 (Bob, +4000), C4 (+5000), C1#2 (Alice, +8000).
    const later = await metrics(a, { range: { ...RANGE, from: '2026-03-02T11:00:00.000Z' } });
    expect(later.overall).toMatchObject({ episodes: 3, conversationsHandled: 2, messagesSent: 2, unattributedEpisodes: 1 });
    expect(byId(later.agents).map((row: any) => [row.agentId, row.episodes, row.firstResponseTime])).toEqual(
      byId([{ agentId: bob.id, episodes: 1, firstResponseTime: stats(900, 900, 1) }, { agentId: alice.id, episodes: 1, firstResponseTime: stats(100, 100, 1) }]).map((row) => [
        row.agentId, row.episodes, row.firstResponseTime,
      ]),
    );
  });

  it('filters by channel', async () => {
    const report = await metrics(a, { range: { ...RANGE, channelId: channelY } });
    expect(report.channelId).toBe(channelY);
    expect(report.overall).toEqual({
      episodes: 3, conversationsHandled: 1, messagesSent: 2, answeredEpisodes: 2, resolvedEpisodes: 1, unattributedEpisodes: 1,
      firstResponseTime: stats(650, 850, 2), resolutionTime: stats(3600, 3600, 1),
    });
    expect(byId(report.agents)).toEqual(byId([
      { agentId: alice.id, name: 'AGENT member', email: alice.email, ...totals({
        episodes: 1, conversationsHandled: 1, messagesSent: 1, answeredEpisodes: 1, resolvedEpisodes: 0,
        firstResponseTime: stats(400, 400, 1), resolutionTime: stats(null, null, 0),
      }) },
      { agentId: bob.id, name: 'AGENT member', email: bob.email, ...totals({
        episodes: 1, conversationsHandled: 1, messagesSent: 1, answeredEpisodes: 1, resolvedEpisodes: 1,
        firstResponseTime: stats(900, 900, 1), resolutionTime: stats(3600, 3600, 1),
      }) },
    ]));
  });

  describe('business hours', () => {
    // Open 10:00-12:00 UTC, Monday to Friday. C1#2 (waiting 12:13:20) counts nothing; C3#2 waits from
    // 11:06:40, is answered at 11:21:40 (900 s) and closed at 12:06:40 (3,200 s inside hours).
    const inHours = {
      alice: { firstResponseTime: stats(120, 344, 3), resolutionTime: stats(300, 540, 2) }, // [0, 120, 400], [0, 600]
      bob: { firstResponseTime: stats(600, 840, 2), resolutionTime: stats(2500, 3060, 2) }, // [300, 900], [1800, 3200]
      overall: { firstResponseTime: stats(300, 700, 5), resolutionTime: stats(1200, 2780, 4) }, // [0,120,300,400,900], [0,600,1800,3200]
    };
    const durations = (report: any) => ({
      overall: { firstResponseTime: report.overall.firstResponseTime, resolutionTime: report.overall.resolutionTime },
      ...Object.fromEntries(
        report.agents.map((row: any) => [row.agentId === alice.id ? 'alice' : 'bob', { firstResponseTime: row.firstResponseTime, resolutionTime: row.resolutionTime }]),
      ),
    });

    it('counts only time inside business hours toward response and resolution times', async () => {
      const report = await metrics(a, { range: RANGE, businessHours: { start: '10:00', end: '12:00' } });
      expect(report.businessHours).toEqual({ timeZone: 'UTC', days: [1, 2, 3, 4, 5], start: '10:00', end: '12:00' });
      expect(durations(report)).toEqual(inHours);
      // Counts do not depend on business hours.
      expect(report.overall).toMatchObject({ episodes: 6, conversationsHandled: 3, messagesSent: 7, answeredEpisodes: 5, resolvedEpisodes: 4 });
    });

    it('reads the hours in their own time zone, or else the range’s (India is UTC+5:30: 15:30-17:30 there)', async () => {
      const ownZone = await metrics(a, { range: RANGE, businessHours: { timeZone: 'Asia/Kolkata', start: '15:30', end: '17:30' } });
      expect(ownZone.businessHours).toEqual({ timeZone: 'Asia/Kolkata', days: [1, 2, 3, 4, 5], start: '15:30', end: '17:30' });
      expect(durations(ownZone)).toEqual(inHours);
      const rangeZone = await metrics(a, { range: { ...RANGE, timeZone: 'Asia/Kolkata' }, businessHours: { start: '15:30', end: '17:30' } });
      expect(rangeZone.businessHours.timeZone).toBe('Asia/Kolkata');
      expect(durations(rangeZone)).toEqual(inHours);
    });

    it('counts nothing on a day that is not open (Monday excluded)', async () => {
      const report = await metrics(a, { range: RANGE, businessHours: { days: [2, 3, 4, 5], start: '00:00', end: '24:00' } });
      expect(report.overall.firstResponseTime).toEqual(stats(0, 0, 5));
      expect(report.overall.resolutionTime).toEqual(stats(0, 0, 4));
    });

    it('equals wall-clock time when open all day, every day', async () => {
      const always = await metrics(a, { range: RANGE, businessHours: { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '24:00' } });
      const wallClock = await metrics(a, { range: RANGE });
      expect({ ...always, businessHours: null }).toEqual(wallClock);
    });
  });

  it('answers zeros, not errors, for a range with no episodes', async () => {
    const report = await metrics(a, { range: { from: '2026-04-01T00:00:00.000Z', to: '2026-04-02T00:00:00.000Z', timeZone: 'UTC' } });
    expect(report.overall).toEqual({ ...ZERO, unattributedEpisodes: 0 });
    expect(report.agents).toEqual([]);
    const inHours = await metrics(a, { range: { from: '2026-04-01T00:00:00.000Z', to: '2026-04-02T00:00:00.000Z' }, businessHours: { start: '09:00', end: '17:00' } });
    expect(inHours.overall).toEqual({ ...ZERO, unattributedEpisodes: 0 });
  });

  it('gives the same answers after the facts are deleted and rebuilt by rebuildAnalytics', async () => {
    const variants = [{ range: RANGE }, { range: { ...RANGE, channelId: channelY } }, { range: RANGE, businessHours: { start: '10:00', end: '12:00' } }];
    const before = await Promise.all(variants.map((variables) => metrics(a, variables)));
    const em = systemEm(app.orm);
    await sql(em, 'delete from analytics_agent_episode_helper where organization_id = ?', [orgA.id]);
    await sql(em, 'delete from analytics_agent_episode where organization_id = ?', [orgA.id]);
    expect((await metrics(a, { range: RANGE })).overall.episodes).toBe(0);

    const { rebuildAnalytics } = await a.request<any>(REBUILD, { input: { from: '2026-03-01T00:00:00.000Z', to: '2026-03-03T00:00:00.000Z' } });
    const done = await waitFor(
      async () => {
        const { analyticsRebuild } = await a.request<any>(REBUILD_STATE, { id: rebuildAnalytics.id });
        return analyticsRebuild.state === 'completed' || analyticsRebuild.state === 'failed' ? analyticsRebuild : null;
      },
      { what: 'the rebuild job', timeoutMs: 20_000 },
    );
    expect(done).toEqual({ state: 'completed', failedReason: null });
    expect(await Promise.all(variants.map((variables) => metrics(a, variables)))).toEqual(before);
  });

  it("keeps organizations apart: B sees only its own agent, and A's channel is not found for B", async () => {
    const report = await metrics(app.client(orgB.ownerKey), { range: RANGE });
    expect(report.overall).toEqual({
      episodes: 1, conversationsHandled: 1, messagesSent: 1, answeredEpisodes: 1, resolvedEpisodes: 1, unattributedEpisodes: 0,
      firstResponseTime: stats(50, 50, 1), resolutionTime: stats(70, 70, 1),
    });
    expect(report.agents.map((row: { agentId: string }) => row.agentId)).toEqual([outsider.id]);
    expect((await metrics(a, { range: RANGE })).agents.map((row: { agentId: string }) => row.agentId)).not.toContain(outsider.id);

    const error = await firstError(app.client(orgB.ownerKey).request(AGENT_METRICS, { range: { ...RANGE, channelId: channelX } }));
    expect(error.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'range.channelId' });
  });

  it('is open to every member role, and to nobody without credentials', async () => {
    expect((await metrics(app.client(viewer.token), { range: RANGE })).overall.episodes).toBe(6);
    expect((await metrics(app.client(bob.token), { range: RANGE })).overall.episodes).toBe(6);
    expect(await errorCodes(app.client().request(AGENT_METRICS, { range: RANGE }))).toEqual(['UNAUTHENTICATED']);
  });

  it.each([
    ['to before from', { range: { ...RANGE, to: '2026-03-01T00:00:00.000Z' } }, 'BAD_USER_INPUT', 'range.to'],
    ['a range over 400 days', { range: { ...RANGE, from: '2025-01-01T00:00:00.000Z' } }, 'BAD_USER_INPUT', 'range.to'],
    ['an unknown range time zone', { range: { ...RANGE, timeZone: 'Mars/Olympus_Mons' } }, 'BAD_USER_INPUT', 'range.timeZone'],
    ['a channel id that is no uuid', { range: { ...RANGE, channelId: "x' or 1=1 --" } }, 'NOT_FOUND', 'range.channelId'],
    ['an unknown channel', { range: { ...RANGE, channelId: randomUUID() } }, 'NOT_FOUND', 'range.channelId'],
    ['a start that is no time', { range: RANGE, businessHours: { start: '25:00', end: '17:00' } }, 'BAD_USER_INPUT', 'businessHours.start'],
    ['an end before the start', { range: RANGE, businessHours: { start: '17:00', end: '09:00' } }, 'BAD_USER_INPUT', 'businessHours.end'],
    ['day 0', { range: RANGE, businessHours: { days: [0, 1], start: '09:00', end: '17:00' } }, 'BAD_USER_INPUT', 'businessHours.days'],
    ['a repeated day', { range: RANGE, businessHours: { days: [1, 1], start: '09:00', end: '17:00' } }, 'BAD_USER_INPUT', 'businessHours.days'],
    ['no days', { range: RANGE, businessHours: { days: [], start: '09:00', end: '17:00' } }, 'BAD_USER_INPUT', 'businessHours.days'],
    ['an unknown business-hours time zone', { range: RANGE, businessHours: { timeZone: 'Europe/Atlantis', start: '09:00', end: '17:00' } }, 'BAD_USER_INPUT', 'businessHours.timeZone'],
  ])('refuses %s, naming the field', async (_case, variables, code, field) => {
    const error = await firstError(a.request(AGENT_METRICS, variables));
    expect(error.extensions).toMatchObject({ code, field });
  });
});
