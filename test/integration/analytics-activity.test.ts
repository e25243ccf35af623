import { randomUUID } from 'node:crypto';
import { gql, type GraphQLClient } from 'graphql-request';
import { systemEm, tenantEm } from '../../src/db/entity-manager';
import { sql } from '../../src/db/sql';
import { Role } from '../../src/domain/role';
import { dailyActivity } from '../../src/services/analytics/activity/daily-activity.service';
import { segmentContacts } from '../../src/services/analytics/activity/segment-contacts.service';
import { UserSegment } from '../../src/services/analytics/activity/segment-rule';
import { userSegments } from '../../src/services/analytics/activity/user-segments.service';
import type { MemberScope } from '../../src/services/scope';
import { at, createTestChannel, History, refresh } from '../helpers/analytics-history';
import { createOrganization, errorCodes, firstError, type TestOrganization } from '../helpers/fixtures';
import { addMember, type TestMember } from '../helpers/members';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { waitFor } from '../helpers/wait';

/**
 * dailyActivity, userSegments and segmentContacts over a hand-built history, read through GraphQL
 * after the real refresher ran. Every expected figure is worked out by hand from the table below.
 *
 * Organization A, channels X and Y. Contacts: P (first seen 2025-12-20), Q, R (writes on X and Y),
 * S (only written to), U, V. Times are UTC; "Berlin" is CET (UTC+1), "IST" is Asia/Kolkata (UTC+5:30).
 *
 *  msg  who conv ch dir  UTC               Berlin          IST
 *  m1   P   pX   X  IN   2025-12-20 10:00  Dec 20 11:00    -
 *  m2   P   pX   X  IN   2026-01-04 22:59  Jan 4  23:59    Jan 5 04:29
 *  m3   P   pX   X  IN   2026-01-05 08:00  Jan 5  09:00    Jan 5 13:30   (Jan 5 is a Monday)
 *  m4   P   pX   X  OUT  2026-01-05 08:01  Jan 5  09:01    Jan 5 13:31
 *  m5   R   rX   X  IN   2026-01-05 10:00  Jan 5  11:00    Jan 5 15:30
 *  m6   S   sY   Y  OUT  2026-01-05 12:00  Jan 5  13:00    Jan 5 17:30
 *  m7   P   pX   X  IN   2026-01-05 23:30  Jan 6  00:30    Jan 6 05:00   (the 23:30 UTC case)
 *  m8   Q   qX   X  IN   2026-01-06 12:00  Jan 6  13:00    Jan 6 17:30
 *  m9   Q   qX   X  OUT  2026-01-06 12:05  Jan 6  13:05    Jan 6 17:35
 *  m10  Q   qX   X  IN   2026-01-06 12:20  Jan 6  13:20    Jan 6 17:50
 *  m11  P   pX   X  IN   2026-01-06 22:59  Jan 6  23:59    Jan 7 04:29
 *  m12  Q   qX   X  IN   2026-01-07 09:00  Jan 7  10:00    Jan 7 14:30
 *  m13  U   uY   Y  IN   2026-01-07 10:00  Jan 7  11:00    Jan 7 15:30
 *  m14  U   uY   Y  IN   2026-01-07 10:30  Jan 7  11:30    Jan 7 16:00
 *  m15  R   rY   Y  IN   2026-01-07 15:00  Jan 7  16:00    Jan 7 20:30
 *  m16  R   rX   X  IN   2026-01-07 15:10  Jan 7  16:10    Jan 7 20:40   (same quarter hour as m15, other channel)
 *  m17  R   rY   Y  OUT  2026-01-07 15:11  Jan 7  16:11    Jan 7 20:41
 *  m18  V   vX   X  IN   2026-01-07 20:00  Jan 7  21:00    Jan 8 01:30
 *  m19  Q   qX   X  IN   2026-01-07 23:00  Jan 8  00:00    Jan 8 04:30
 *
 * Conversations opened (CONVERSATION_OPENED): pX Dec 20 10:00, rX Jan 5 10:00, sY Jan 5 12:00,
 * qX Jan 6 12:00, uY Jan 7 10:00, rY Jan 7 15:00, vX Jan 7 20:00. Status changes: rX BOT ->
 * WAITING_AGENT Jan 5 10:01 (neither), qX -> CLOSED Jan 6 13:00, pX -> CLOSED Jan 6 23:10 (Berlin
 * Jan 7 00:10), qX CLOSED -> WAITING_AGENT Jan 7 09:00 (reopened: counts as opened).
 *
 * A DST day: contact D writes at 2026-03-28 22:30, 03-28 23:30, 03-29 21:30 and 03-29 22:30 UTC;
 * Berlin moves to CEST (UTC+2) at 2026-03-29 01:00 UTC, so that local day has 23 hours.
 */

const COUNTS = 'inbound outbound activeContacts newContacts returningContacts conversationsOpened conversationsClosed';
const DAILY_ACTIVITY = gql`
  query DailyActivity($range: AnalyticsRangeInput!) {
    dailyActivity(range: $range) {
      from to timeZone channelId
      days { date startsAt ${COUNTS} }
      totals { ${COUNTS} }
      hourOfWeek { dayOfWeek hour inbound outbound messages }
    }
  }
`;
const USER_SEGMENTS = gql`
  query UserSegments($range: AnalyticsRangeInput!, $thresholds: UserSegmentThresholdsInput) {
    userSegments(range: $range, thresholds: $thresholds) {
      from to channelId asOf dormantBefore
      thresholds { powerMinMessages activeMinMessages dormantAfterDays }
      totalContacts
      segments { segment contacts }
    }
  }
`;
const SEGMENT_CONTACTS = gql`
  query SegmentContacts($range: AnalyticsRangeInput!, $segment: UserSegment!, $thresholds: UserSegmentThresholdsInput, $first: Int, $after: String) {
    segmentContacts(range: $range, segment: $segment, thresholds: $thresholds, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { contact { id waId } segment messages lastMessageAt } }
    }
  }
`;
const REBUILD = gql`
  mutation ($input: RebuildAnalyticsInput!) { rebuildAnalytics(input: $input) { id } }
`;
const REBUILD_STATE = gql`
  query ($id: ID!) { analyticsRebuild(id: $id) { state failedReason } }
`;

/** Berlin days Jan 5, 6 and 7 (CET midnights). */
const BERLIN = { from: '2026-01-04T23:00:00.000Z', to: '2026-01-07T23:00:00.000Z', timeZone: 'Europe/Berlin' };
const UTC = { from: '2026-01-05T00:00:00.000Z', to: '2026-01-08T00:00:00.000Z', timeZone: 'UTC' };
/** IST days Jan 5, 6 and 7 (midnight IST is 18:30 UTC the day before). */
const KOLKATA = { from: '2026-01-04T18:30:00.000Z', to: '2026-01-07T18:30:00.000Z', timeZone: 'Asia/Kolkata' };
/** Berlin Mar 28 (CET), Mar 29 (23 hours) and Mar 30 (CEST). */
const DST = { from: '2026-03-27T23:00:00.000Z', to: '2026-03-30T22:00:00.000Z', timeZone: 'Europe/Berlin' };
const TIGHT = { powerMinMessages: 3, activeMinMessages: 2, dormantAfterDays: 1 };

type Counts = [inbound: number, outbound: number, active: number, fresh: number, returning: number, opened: number, closed: number];
const counts = ([inbound, outbound, activeContacts, newContacts, returningContacts, conversationsOpened, conversationsClosed]: Counts) => ({
  inbound, outbound, activeContacts, newContacts, returningContacts, conversationsOpened, conversationsClosed,
});
const day = (date: string, startsAt: string, values: Counts) => ({ date, startsAt, ...counts(values) });
const ZERO: Counts = [0, 0, 0, 0, 0, 0, 0];

/** All 168 cells, zeros except `[dayOfWeek, hour, inbound, outbound]` given. */
function hourOfWeek(cells: [number, number, number, number][]) {
  const all = [];
  for (let dayOfWeek = 1; dayOfWeek <= 7; dayOfWeek++) {
    for (let hour = 0; hour < 24; hour++) {
      const [, , inbound, outbound] = cells.find(([d, h]) => d === dayOfWeek && h === hour) ?? [0, 0, 0, 0];
      all.push({ dayOfWeek, hour, inbound, outbound, messages: inbound + outbound });
    }
  }
  return all;
}

const segmentCounts = (power: number, active: number, casual: number, dormant: number) => [
  { segment: 'POWER', contacts: power }, { segment: 'ACTIVE', contacts: active },
  { segment: 'CASUAL', contacts: casual }, { segment: 'DORMANT', contacts: dormant },
];

describe('activity analytics', () => {
  let app: TestApp;
  let orgA: TestOrganization;
  let orgB: TestOrganization;
  let a: GraphQLClient;
  let viewer: TestMember;
  let channelX: string;
  let channelY: string;
  let channelB: string;
  let history: History;
  const contacts = {} as Record<'P' | 'Q' | 'R' | 'S' | 'U' | 'V' | 'D', string>;
  let qX: string;

  const daily = async (client: GraphQLClient, range: Record<string, unknown>) =>
    (await client.request<{ dailyActivity: any }>(DAILY_ACTIVITY, { range })).dailyActivity;
  const segments = async (client: GraphQLClient, variables: Record<string, unknown>) =>
    (await client.request<{ userSegments: any }>(USER_SEGMENTS, variables)).userSegments;
  const segmentPage = async (client: GraphQLClient, variables: Record<string, unknown>) =>
    (await client.request<{ segmentContacts: any }>(SEGMENT_CONTACTS, variables)).segmentContacts;

  /** Organization A as a member, for calling the services with `{ source: 'raw' }`. */
  const scopeA = (): MemberScope => ({
    em: tenantEm(app.orm, orgA.id),
    viewer: { kind: 'member', organizationId: orgA.id, role: Role.OWNER, userId: null, apiKeyId: null, sessionId: null },
  });
  const asInput = (range: Record<string, unknown>) => ({ ...range, from: new Date(range.from as string), to: new Date(range.to as string) }) as never;

  beforeAll(async () => {
    app = await startTestApp();
    orgA = await createOrganization(app, 'Activity A');
    orgB = await createOrganization(app, 'Activity B');
    a = app.client(orgA.ownerKey);
    viewer = await addMember(app, orgA.ownerKey, 'VIEWER');
    channelX = await createTestChannel(app, orgA.ownerKey);
    channelY = await createTestChannel(app, orgA.ownerKey);
    channelB = await createTestChannel(app, orgB.ownerKey);

    const h = (history = new History(app, orgA.id));
    contacts.P = await h.contact({ name: 'P', firstSeenAt: at('2025-12-20T10:00:00Z') });
    contacts.Q = await h.contact({ name: 'Q', firstSeenAt: at('2026-01-06T12:00:00Z') });
    contacts.R = await h.contact({ name: 'R', firstSeenAt: at('2026-01-05T10:00:00Z') });
    contacts.S = await h.contact({ name: 'S', firstSeenAt: at('2026-01-05T12:00:00Z') });
    contacts.U = await h.contact({ name: 'U', firstSeenAt: at('2026-01-07T10:00:00Z') });
    contacts.V = await h.contact({ name: 'V', firstSeenAt: at('2026-01-07T20:00:00Z') });
    contacts.D = await h.contact({ name: 'D', firstSeenAt: at('2026-03-28T22:30:00Z') });
    const open = (channelId: string, contactId: string, iso: string) => h.conversation({ channelId, contactId, openedAt: at(iso) });
    const pX = await open(channelX, contacts.P, '2025-12-20T10:00:00Z');
    const rX = await open(channelX, contacts.R, '2026-01-05T10:00:00Z');
    const sY = await open(channelY, contacts.S, '2026-01-05T12:00:00Z');
    qX = await open(channelX, contacts.Q, '2026-01-06T12:00:00Z');
    const uY = await open(channelY, contacts.U, '2026-01-07T10:00:00Z');
    const rY = await open(channelY, contacts.R, '2026-01-07T15:00:00Z');
    const vX = await open(channelX, contacts.V, '2026-01-07T20:00:00Z');
    const dX = await open(channelX, contacts.D, '2026-03-28T22:30:00Z');

    const write = (conversationId: string, iso: string) => h.message({ conversationId, direction: 'IN', at: at(iso), text: 'hi' });
    const reply = (conversationId: string, iso: string) => h.message({ conversationId, direction: 'OUT', at: at(iso), text: 'hello', sentAt: at(iso) });
    await write(pX, '2025-12-20T10:00:00Z'); // m1
    await write(pX, '2026-01-04T22:59:00Z'); // m2
    await write(pX, '2026-01-05T08:00:00Z'); // m3
    await reply(pX, '2026-01-05T08:01:00Z'); // m4
    await write(rX, '2026-01-05T10:00:00Z'); // m5
    await reply(sY, '2026-01-05T12:00:00Z'); // m6
    await write(pX, '2026-01-05T23:30:00Z'); // m7
    await write(qX, '2026-01-06T12:00:00Z'); // m8
    await reply(qX, '2026-01-06T12:05:00Z'); // m9
    await write(qX, '2026-01-06T12:20:00Z'); // m10
    await write(pX, '2026-01-06T22:59:00Z'); // m11
    await write(qX, '2026-01-07T09:00:00Z'); // m12
    await write(uY, '2026-01-07T10:00:00Z'); // m13
    await write(uY, '2026-01-07T10:30:00Z'); // m14
    await write(rY, '2026-01-07T15:00:00Z'); // m15
    await write(rX, '2026-01-07T15:10:00Z'); // m16
    await reply(rY, '2026-01-07T15:11:00Z'); // m17
    await write(vX, '2026-01-07T20:00:00Z'); // m18
    await write(qX, '2026-01-07T23:00:00Z'); // m19
    const status = (conversationId: string, to: string, previous: string, iso: string) =>
      h.event(conversationId, 'STATUS_CHANGED', { status: to, previous, by: 'bot' }, at(iso));
    await status(rX, 'WAITING_AGENT', 'BOT', '2026-01-05T10:01:00Z');
    await status(qX, 'CLOSED', 'WAITING_AGENT', '2026-01-06T13:00:00Z');
    await status(pX, 'CLOSED', 'BOT', '2026-01-06T23:10:00Z');
    await status(qX, 'WAITING_AGENT', 'CLOSED', '2026-01-07T09:00:00Z');
    for (const iso of ['2026-03-28T22:30:00Z', '2026-03-28T23:30:00Z', '2026-03-29T21:30:00Z', '2026-03-29T22:30:00Z']) await write(dX, iso);

    // Organization B: its own contact, writing at the same times as A's busiest hours.
    const hb = new History(app, orgB.id);
    const bContact = await hb.contact({ name: 'B', firstSeenAt: at('2026-01-05T08:00:00Z') });
    const b1 = await hb.conversation({ channelId: channelB, contactId: bContact, openedAt: at('2026-01-05T08:00:00Z') });
    for (const iso of ['2026-01-05T08:00:00Z', '2026-01-06T12:00:00Z', '2026-01-07T15:00:00Z']) {
      await hb.message({ conversationId: b1, direction: 'IN', at: at(iso), text: 'b' });
    }
    await hb.message({ conversationId: b1, direction: 'OUT', at: at('2026-01-07T15:01:00Z'), text: 'b', sentAt: at('2026-01-07T15:01:00Z') });
    await hb.event(b1, 'STATUS_CHANGED', { status: 'CLOSED', previous: 'WAITING_AGENT', by: 'bot' }, at('2026-01-07T16:00:00Z'));

    await refresh(app);
  });
  afterAll(async () => {
    await app?.stop();
  });

  describe('dailyActivity', () => {
    it('reports every metric per Berlin day, with totals and the hour-of-week matrix', async () => {
      const report = await daily(a, BERLIN);
      expect(report).toMatchObject({ from: BERLIN.from, to: BERLIN.to, timeZone: 'Europe/Berlin', channelId: null });
      expect(report.days).toEqual([
        // m3 m5 in; m4 m6 out; P (wrote Dec 20: returning) and R (new); rX and sY opened.
        day('2026-01-05', '2026-01-04T23:00:00.000Z', [2, 2, 2, 1, 1, 2, 0]),
        // m7 (23:30 UTC the day before) m8 m10 m11 in; m9 out; P returning, Q new; qX opened and closed.
        day('2026-01-06', '2026-01-05T23:00:00.000Z', [4, 1, 2, 1, 1, 1, 1]),
        // m12-m16 m18 in; m17 out; Q R U V active, U V new; uY rY vX opened, qX reopened; pX closed at 00:10.
        day('2026-01-07', '2026-01-06T23:00:00.000Z', [6, 1, 4, 2, 2, 4, 1]),
      ]);
      // Distinct over the range: P Q R U V active; Q R U V wrote for the first time ever; m2 and m19 are outside.
      expect(report.totals).toEqual(counts([12, 4, 5, 4, 1, 7, 2]));
      expect(report.hourOfWeek).toEqual(hourOfWeek([
        [1, 9, 1, 1], [1, 11, 1, 0], [1, 13, 0, 1],
        [2, 0, 1, 0], [2, 13, 2, 1], [2, 23, 1, 0],
        [3, 10, 1, 0], [3, 11, 2, 0], [3, 16, 2, 1], [3, 21, 1, 0],
      ]));
    });

    it('cuts days in the requested time zone: in UTC, 23:30 is still the same day', async () => {
      const report = await daily(a, UTC);
      expect(report.days).toEqual([
        day('2026-01-05', '2026-01-05T00:00:00.000Z', [3, 2, 2, 1, 1, 2, 0]), // m3 m5 m7
        day('2026-01-06', '2026-01-06T00:00:00.000Z', [3, 1, 2, 1, 1, 1, 2]), // m8 m10 m11; qX and pX closed
        day('2026-01-07', '2026-01-07T00:00:00.000Z', [7, 1, 4, 2, 2, 4, 0]), // m12-m16 m18 m19
      ]);
      expect(report.totals).toEqual(counts([13, 4, 5, 4, 1, 7, 2]));
      expect(report.hourOfWeek.find((cell: any) => cell.dayOfWeek === 1 && cell.hour === 23)).toEqual({ dayOfWeek: 1, hour: 23, inbound: 1, outbound: 0, messages: 1 });
    });

    it('handles a half-hour zone (Asia/Kolkata)', async () => {
      const report = await daily(a, KOLKATA);
      expect(report.days).toEqual([
        // m2 (04:29 IST) m3 m5; P once although two of P's messages are 3.5 hours apart.
        day('2026-01-05', '2026-01-04T18:30:00.000Z', [3, 2, 2, 1, 1, 2, 0]),
        // m7 m8 m10; qX opened 17:30 and closed 18:30 IST.
        day('2026-01-06', '2026-01-05T18:30:00.000Z', [3, 1, 2, 1, 1, 1, 1]),
        // m11 (04:29 IST) m12-m16; P Q U R active, U new; qX reopened, uY rY opened (vX at 01:30 on Jan 8); pX closed 04:40.
        day('2026-01-07', '2026-01-06T18:30:00.000Z', [6, 1, 4, 1, 3, 3, 1]),
      ]);
      expect(report.totals).toEqual(counts([12, 4, 4, 3, 1, 6, 2]));
      // m3 at 13:30 IST, Monday; m16 at 20:40 IST, Wednesday.
      expect(report.hourOfWeek.filter((cell: any) => cell.messages > 0).map((cell: any) => [cell.dayOfWeek, cell.hour, cell.inbound, cell.outbound])).toEqual([
        [1, 4, 1, 0], [1, 13, 1, 1], [1, 15, 1, 0], [1, 17, 0, 1],
        [2, 5, 1, 0], [2, 17, 2, 1],
        [3, 4, 1, 0], [3, 14, 1, 0], [3, 15, 1, 0], [3, 16, 1, 0], [3, 20, 2, 1],
      ]);
    });

    it('counts a 23-hour DST day right', async () => {
      const report = await daily(a, DST);
      expect(report.days).toEqual([
        day('2026-03-28', '2026-03-27T23:00:00.000Z', [1, 0, 1, 1, 0, 1, 0]), // 23:30 CET; dX opened
        day('2026-03-29', '2026-03-28T23:00:00.000Z', [2, 0, 1, 0, 1, 0, 0]), // 00:30 CET and 23:30 CEST
        day('2026-03-30', '2026-03-29T22:00:00.000Z', [1, 0, 1, 0, 1, 0, 0]), // 00:30 CEST
      ]);
      expect(report.totals).toEqual(counts([4, 0, 1, 1, 0, 1, 0]));
      // Saturday 23:30, Sunday 00:30 and 23:30, Monday 00:30.
      expect(report.hourOfWeek.filter((cell: any) => cell.messages > 0).map((cell: any) => [cell.dayOfWeek, cell.hour])).toEqual([[1, 0], [6, 23], [7, 0], [7, 23]]);
    });

    it('filters by channel: contacts are new to the channel when they first write on it', async () => {
      const onX = await daily(a, { ...BERLIN, channelId: channelX });
      expect(onX.channelId).toBe(channelX);
      expect(onX.days).toEqual([
        day('2026-01-05', '2026-01-04T23:00:00.000Z', [2, 1, 2, 1, 1, 1, 0]),
        day('2026-01-06', '2026-01-05T23:00:00.000Z', [4, 1, 2, 1, 1, 1, 1]),
        day('2026-01-07', '2026-01-06T23:00:00.000Z', [3, 0, 3, 1, 2, 2, 1]), // m12 m16 m18: Q R V, V new
      ]);
      expect(onX.totals).toEqual(counts([9, 2, 4, 3, 1, 4, 2]));

      const onY = await daily(a, { ...BERLIN, channelId: channelY });
      expect(onY.days).toEqual([
        day('2026-01-05', '2026-01-04T23:00:00.000Z', [0, 1, 0, 0, 0, 1, 0]), // S only receives
        day('2026-01-06', '2026-01-05T23:00:00.000Z', ZERO),
        day('2026-01-07', '2026-01-06T23:00:00.000Z', [3, 1, 2, 2, 0, 2, 0]), // R wrote on X before, but is new on Y
      ]);
      expect(onY.totals).toEqual(counts([3, 2, 2, 2, 0, 3, 0]));
    });

    it('answers zeros, not errors, for a range with no data, listing every day', async () => {
      const report = await daily(a, { from: '2026-02-01T00:00:00.000Z', to: '2026-02-03T00:00:00.000Z', timeZone: 'UTC' });
      expect(report.days).toEqual([day('2026-02-01', '2026-02-01T00:00:00.000Z', ZERO), day('2026-02-02', '2026-02-02T00:00:00.000Z', ZERO)]);
      expect(report.totals).toEqual(counts(ZERO));
      expect(report.hourOfWeek).toEqual(hourOfWeek([]));
    });

    it("uses the organization's time zone by default", async () => {
      const report = await daily(a, { from: UTC.from, to: UTC.to });
      expect(report.timeZone).toBe('UTC');
      expect(report.totals).toEqual(counts([13, 4, 5, 4, 1, 7, 2]));
    });
  });

  describe('userSegments', () => {
    it('buckets contacts by message count and recency', async () => {
      const report = await segments(a, { range: BERLIN, thresholds: TIGHT });
      // Dormant before Jan 6 23:00: P's last message was at 22:59 (3 messages). Q and R wrote 3 times
      // (m19 is outside), U twice, V once. S never wrote: not counted.
      expect(report).toEqual({
        from: BERLIN.from, to: BERLIN.to, channelId: null,
        asOf: BERLIN.to, dormantBefore: '2026-01-06T23:00:00.000Z', thresholds: TIGHT,
        totalContacts: 5, segments: segmentCounts(2, 1, 1, 1),
      });
    });

    it('uses the default thresholds (20, 5, 14 days): everyone here is casual', async () => {
      const report = await segments(a, { range: BERLIN });
      expect(report.thresholds).toEqual({ powerMinMessages: 20, activeMinMessages: 5, dormantAfterDays: 14 });
      expect(report.dormantBefore).toBe('2025-12-24T23:00:00.000Z');
      expect(report.segments).toEqual(segmentCounts(0, 0, 5, 0));
    });

    it('filters by channel', async () => {
      // On X: P 3 (dormant), Q 3, R 2 (m5 m16), V 1.
      expect((await segments(a, { range: { ...BERLIN, channelId: channelX }, thresholds: TIGHT })).segments).toEqual(segmentCounts(1, 1, 1, 1));
      // On Y: U 2, R 1 (m15).
      expect((await segments(a, { range: { ...BERLIN, channelId: channelY }, thresholds: TIGHT })).segments).toEqual(segmentCounts(0, 1, 1, 0));
    });

    it('lists the contacts of a segment, most recently active first, with their counts', async () => {
      const power = await segmentPage(a, { range: BERLIN, thresholds: TIGHT, segment: 'POWER' });
      expect(power.totalCount).toBe(2);
      expect(power.edges.map((edge: any) => edge.node)).toEqual([
        { contact: expect.objectContaining({ id: contacts.R }), segment: 'POWER', messages: 3, lastMessageAt: '2026-01-07T15:10:00.000Z' },
        { contact: expect.objectContaining({ id: contacts.Q }), segment: 'POWER', messages: 3, lastMessageAt: '2026-01-07T09:00:00.000Z' },
      ]);
      const dormant = await segmentPage(a, { range: BERLIN, thresholds: TIGHT, segment: 'DORMANT' });
      expect(dormant.edges.map((edge: any) => [edge.node.contact.id, edge.node.messages, edge.node.lastMessageAt])).toEqual([
        [contacts.P, 3, '2026-01-06T22:59:00.000Z'],
      ]);
    });

    it('pages with keyset cursors', async () => {
      const variables = { range: BERLIN, segment: 'CASUAL', first: 2 };
      const first = await segmentPage(a, variables);
      const second = await segmentPage(a, { ...variables, after: first.pageInfo.endCursor });
      const third = await segmentPage(a, { ...variables, after: second.pageInfo.endCursor });
      const ids = (page: any) => page.edges.map((edge: any) => edge.node.contact.id);
      // Last messages: V Jan 7 20:00, R 15:10, U 10:30, Q 09:00, P Jan 6 22:59.
      expect([ids(first), ids(second), ids(third)]).toEqual([[contacts.V, contacts.R], [contacts.U, contacts.Q], [contacts.P]]);
      expect([first, second, third].map((page) => [page.totalCount, page.pageInfo.hasNextPage, page.pageInfo.hasPreviousPage])).toEqual([
        [5, true, false], [5, true, true], [5, false, true],
      ]);
      expect(third.pageInfo.endCursor).toBe(third.edges[0].cursor);
    });

    it('answers zeros and an empty page for a range with no data', async () => {
      const range = { from: '2026-02-01T00:00:00.000Z', to: '2026-02-03T00:00:00.000Z', timeZone: 'UTC' };
      expect((await segments(a, { range })).segments).toEqual(segmentCounts(0, 0, 0, 0));
      const page = await segmentPage(a, { range, segment: 'DORMANT' });
      expect(page).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } });
    });
  });

  describe('rollups and raw rows', () => {
    const ranges = [
      BERLIN, UTC, KOLKATA, DST,
      { ...BERLIN, channelId: 'X' }, { ...BERLIN, channelId: 'Y' },
      // Ragged ends: rollups answer the whole quarter hours, raw rows the edges.
      { from: '2026-01-05T08:00:30.000Z', to: '2026-01-07T15:05:00.000Z', timeZone: 'Asia/Kathmandu' },
      { from: '2026-01-05T07:59:59.999Z', to: '2026-01-07T15:10:00.001Z', timeZone: 'America/St_Johns', channelId: 'X' },
      { from: '2025-12-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z', timeZone: 'Europe/Berlin' },
    ];
    const withChannel = (range: Record<string, unknown>) => ({
      ...range, channelId: range.channelId === 'X' ? channelX : range.channelId === 'Y' ? channelY : null,
    });
    const strip = (page: any) => ({ ...page, edges: page.edges.map((edge: any) => ({ ...edge, node: { ...edge.node, contact: edge.node.contact.id } })) });

    /** Every report for every range, read with rollups (`auto`) or raw rows only. */
    async function everything(source: 'auto' | 'raw') {
      const results = [];
      for (const range of ranges.map(withChannel)) {
        const input = { range: asInput(range), thresholds: TIGHT };
        results.push(await dailyActivity(scopeA(), asInput(range), { source }));
        results.push(await userSegments(scopeA(), input, { source }));
        for (const segment of [UserSegment.POWER, UserSegment.ACTIVE, UserSegment.CASUAL, UserSegment.DORMANT]) {
          results.push(strip(await segmentContacts(scopeA(), { ...input, segment, first: 3 }, { source })));
        }
      }
      return results;
    }

    it('gives the same answers from the rollups as from the raw rows', async () => {
      expect(await everything('auto')).toEqual(await everything('raw'));
    });

    it('counts data written after the last refresh from the raw rows, at once', async () => {
      const now = new Date();
      const today = { from: new Date(now.getTime() - 3_600_000).toISOString(), to: new Date(now.getTime() + 3_600_000).toISOString(), timeZone: 'UTC' };
      const before = await daily(a, today);
      expect(before.totals).toEqual(counts(ZERO));
      await history.message({ conversationId: qX, direction: 'IN', at: now, text: 'back again' });
      const after = await daily(a, today);
      // Q wrote before (January): returning.
      expect(after.totals).toEqual(counts([1, 0, 1, 0, 1, 0, 0]));
      const casual = await segmentPage(a, { range: today, segment: 'CASUAL' });
      expect(casual.edges.map((edge: any) => [edge.node.contact.id, edge.node.messages])).toEqual([[contacts.Q, 1]]);

      await refresh(app);
      expect(await daily(a, today)).toEqual(after);
      expect(await dailyActivity(scopeA(), asInput(today))).toEqual(await dailyActivity(scopeA(), asInput(today), { source: 'raw' }));
      // A's January figures did not move.
      expect((await daily(a, BERLIN)).totals).toEqual(counts([12, 4, 5, 4, 1, 7, 2]));
    });

    it('re-counts the later quarter hours a late message in an earlier one affects', async () => {
      // L writes Apr 10 10:00 and Apr 12 12:00 UTC (CEST: Apr 12 starts at Apr 11 22:00 UTC).
      const contact = await history.contact({ name: 'L', firstSeenAt: at('2026-04-10T10:00:00Z') });
      const conversationId = await history.conversation({ channelId: channelX, contactId: contact, openedAt: at('2026-04-10T10:00:00Z') });
      await history.message({ conversationId, direction: 'IN', at: at('2026-04-10T10:00:00Z'), text: 'one' });
      await history.message({ conversationId, direction: 'IN', at: at('2026-04-12T12:00:00Z'), text: 'two' });
      await refresh(app);
      const april = { from: '2026-04-09T22:00:00.000Z', to: '2026-04-12T22:00:00.000Z', timeZone: 'Europe/Berlin' };
      const activeByDay = async () => (await daily(a, april)).days.map((row: any) => [row.date, row.inbound, row.activeContacts, row.newContacts]);
      expect(await activeByDay()).toEqual([['2026-04-10', 1, 1, 1], ['2026-04-11', 0, 0, 0], ['2026-04-12', 1, 1, 0]]);

      // A message of 08:00 arrives late: the refresher rebuilds its quarter hour, and must also
      // rebuild 12:00's, which is no longer L's first of the day.
      await history.message({ conversationId, direction: 'IN', at: at('2026-04-12T08:00:00Z'), text: 'late' });
      await refresh(app);
      expect(await activeByDay()).toEqual([['2026-04-10', 1, 1, 1], ['2026-04-11', 0, 0, 0], ['2026-04-12', 2, 1, 0]]);
      const page = await segmentPage(a, { range: april, segment: 'CASUAL' });
      expect(page.edges.map((edge: any) => [edge.node.contact.id, edge.node.messages, edge.node.lastMessageAt])).toEqual([[contact, 3, '2026-04-12T12:00:00.000Z']]);
      const input = { range: asInput(april), thresholds: TIGHT };
      expect(await dailyActivity(scopeA(), asInput(april))).toEqual(await dailyActivity(scopeA(), asInput(april), { source: 'raw' }));
      expect(await userSegments(scopeA(), input)).toEqual(await userSegments(scopeA(), input, { source: 'raw' }));
    });

    it('reads the rollups, and rebuildAnalytics restores them after they are lost', async () => {
      const before = await everything('auto');
      const em = systemEm(app.orm);
      for (const table of ['analytics_activity', 'analytics_contact_activity', 'analytics_contact_timeline', 'analytics_contact_channel_timeline']) {
        await sql(em, `delete from ${table} where organization_id = ?`, [orgA.id]);
      }
      expect((await daily(a, BERLIN)).totals).toEqual(counts(ZERO));
      expect((await segments(a, { range: BERLIN })).totalContacts).toBe(0);

      const { rebuildAnalytics } = await a.request<any>(REBUILD, { input: { from: '2025-12-20T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' } });
      const done = await waitFor(
        async () => {
          const { analyticsRebuild } = await a.request<any>(REBUILD_STATE, { id: rebuildAnalytics.id });
          return analyticsRebuild.state === 'completed' || analyticsRebuild.state === 'failed' ? analyticsRebuild : null;
        },
        { what: 'the rebuild job', timeoutMs: 60_000, intervalMs: 200 },
      );
      expect(done).toEqual({ state: 'completed', failedReason: null });
      expect(await everything('auto')).toEqual(before);
    });
  });

  describe('access', () => {
    it("keeps organizations apart: B sees only its own activity, and A's channel is not found for B", async () => {
      const b = app.client(orgB.ownerKey);
      // B's contact wrote three times (Jan 5, 6, 7), got one reply; its conversation opened Jan 5 and closed Jan 7.
      expect((await daily(b, BERLIN)).totals).toEqual(counts([3, 1, 1, 1, 0, 1, 1]));
      expect((await segments(b, { range: BERLIN, thresholds: TIGHT })).segments).toEqual(segmentCounts(1, 0, 0, 0));
      const page = await segmentPage(b, { range: BERLIN, thresholds: TIGHT, segment: 'POWER' });
      expect(page.totalCount).toBe(1);
      expect(Object.values(contacts)).not.toContain(page.edges[0].node.contact.id);

      // A's channel is answered exactly like a channel that does not exist.
      const requests: [string, Record<string, unknown>][] = [[DAILY_ACTIVITY, {}], [USER_SEGMENTS, {}], [SEGMENT_CONTACTS, { segment: 'POWER' }]];
      for (const [document, extra] of requests) {
        const foreign = await firstError(b.request(document, { range: { ...BERLIN, channelId: channelX }, ...extra }));
        const missing = await firstError(b.request(document, { range: { ...BERLIN, channelId: randomUUID() }, ...extra }));
        expect(foreign).toEqual(missing);
        expect(foreign.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'range.channelId' });
      }
      // And A cannot read B's channel either.
      expect((await firstError(daily(a, { ...BERLIN, channelId: channelB }))).extensions).toMatchObject({ code: 'NOT_FOUND', field: 'range.channelId' });
    });

    it('is open to every member role, and to nobody without credentials', async () => {
      expect((await daily(app.client(viewer.token), BERLIN)).totals.inbound).toBe(12);
      expect((await segments(app.client(viewer.token), { range: BERLIN })).totalContacts).toBe(5);
      expect(await errorCodes(app.client().request(DAILY_ACTIVITY, { range: BERLIN }))).toEqual(['UNAUTHENTICATED']);
      expect(await errorCodes(app.client().request(USER_SEGMENTS, { range: BERLIN }))).toEqual(['UNAUTHENTICATED']);
    });
  });

  describe('hostile arguments', () => {
    const bad = async (document: string, variables: Record<string, unknown>) => (await firstError(a.request(document, variables))).extensions;
    const ranges: [string, Record<string, unknown>, string][] = [
      ['to before from', { from: BERLIN.to, to: BERLIN.from }, 'range.to'],
      ['an empty range', { from: BERLIN.from, to: BERLIN.from }, 'range.to'],
      ['over 400 days', { from: '2025-01-01T00:00:00.000Z', to: '2026-02-06T00:00:00.000Z' }, 'range.to'],
      ['an unknown time zone', { ...BERLIN, timeZone: 'Mars/Olympus_Mons' }, 'range.timeZone'],
      ['a malformed channel id', { ...BERLIN, channelId: "x' or 1=1 --" }, 'range.channelId'],
    ];

    it.each(ranges)('rejects %s, naming the argument', async (_name, range, field) => {
      const code = field === 'range.channelId' ? 'NOT_FOUND' : 'BAD_USER_INPUT';
      expect(await bad(DAILY_ACTIVITY, { range })).toMatchObject({ code, field });
      expect(await bad(USER_SEGMENTS, { range })).toMatchObject({ code, field });
      expect(await bad(SEGMENT_CONTACTS, { range, segment: 'POWER' })).toMatchObject({ code, field });
    });

    it.each([
      [{ powerMinMessages: 0 }, 'thresholds.powerMinMessages'],
      [{ activeMinMessages: -3 }, 'thresholds.activeMinMessages'],
      [{ dormantAfterDays: 0 }, 'thresholds.dormantAfterDays'],
      [{ dormantAfterDays: 401 }, 'thresholds.dormantAfterDays'],
      [{ powerMinMessages: 2_000_000 }, 'thresholds.powerMinMessages'],
      [{ powerMinMessages: 5, activeMinMessages: 5 }, 'thresholds.powerMinMessages'],
      [{ powerMinMessages: 4 }, 'thresholds.powerMinMessages'], // below the default activeMinMessages (5)
    ])('rejects thresholds %j, naming %s', async (thresholds, field) => {
      expect(await bad(USER_SEGMENTS, { range: BERLIN, thresholds })).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(await bad(SEGMENT_CONTACTS, { range: BERLIN, thresholds, segment: 'ACTIVE' })).toMatchObject({ code: 'BAD_USER_INPUT', field });
    });

    it('rejects bad paging and an unknown segment', async () => {
      expect(await bad(SEGMENT_CONTACTS, { range: BERLIN, segment: 'POWER', first: 0 })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
      expect(await bad(SEGMENT_CONTACTS, { range: BERLIN, segment: 'POWER', first: 101 })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
      for (const after of ['not-a-cursor', Buffer.from(JSON.stringify(['yesterday', randomUUID()])).toString('base64url'), Buffer.from('["2026-01-01T00:00:00Z","1; drop table contact"]').toString('base64url')]) {
        expect(await bad(SEGMENT_CONTACTS, { range: BERLIN, segment: 'POWER', after })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
      }
      expect((await bad(SEGMENT_CONTACTS, { range: BERLIN, segment: 'EVERYONE' })).code).toBe('BAD_USER_INPUT');
    });
  });
});
