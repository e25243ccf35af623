import { SAMPLE_FLOW } from '../../src/domain/flow/sample-flow';
import { History, at, createTestChannel, refresh } from '../helpers/analytics-history';
import { createOrganization, firstError, type TestOrganization } from '../helpers/fixtures';
import { publishedFlow } from '../helpers/flows';
import { createApiKey } from '../helpers/members';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { waitFor } from '../helpers/wait';

/**
 * What every report shares: the range rules, organization scoping and who may call. Each report's
 * own figures are tested in its analytics-<report>.test.ts file.
 */

const RANGE = { from: '2026-03-01T00:00:00Z', to: '2026-03-31T00:00:00Z', timeZone: 'UTC' };

interface Report {
  name: string;
  query: string;
  variables: (ids: { flowId: string }) => Record<string, unknown>;
}

const REPORTS: Report[] = [
  {
    name: 'flowReport',
    query: 'query ($flowId: ID!, $range: AnalyticsRangeInput!) { flowReport(flowId: $flowId, range: $range) { sessionsStarted } }',
    variables: ({ flowId }) => ({ flowId }),
  },
  {
    name: 'flowFunnel',
    query: 'query ($flowId: ID!, $range: AnalyticsRangeInput!) { flowFunnel(flowId: $flowId, version: 1, range: $range) { sessionsStarted } }',
    variables: ({ flowId }) => ({ flowId }),
  },
  { name: 'dailyActivity', query: 'query ($range: AnalyticsRangeInput!) { dailyActivity(range: $range) { totals { inbound } } }', variables: () => ({}) },
  { name: 'userSegments', query: 'query ($range: AnalyticsRangeInput!) { userSegments(range: $range) { totalContacts } }', variables: () => ({}) },
  {
    name: 'segmentContacts',
    query: 'query ($range: AnalyticsRangeInput!) { segmentContacts(range: $range, segment: ACTIVE, first: 5) { totalCount } }',
    variables: () => ({}),
  },
  { name: 'deliveryFunnel', query: 'query ($range: AnalyticsRangeInput!) { deliveryFunnel(range: $range, by: CHANNEL) { totals { queued } } }', variables: () => ({}) },
  { name: 'agentMetrics', query: 'query ($range: AnalyticsRangeInput!) { agentMetrics(range: $range) { overall { episodes } } }', variables: () => ({}) },
];

const REBUILD = `mutation ($input: RebuildAnalyticsInput!) { rebuildAnalytics(input: $input) { id state progress from to } }`;
const REBUILD_STATUS = `query ($id: ID!) { analyticsRebuild(id: $id) { id state progress failedReason } }`;
const TRANSCRIPT = `query ($id: ID!) { conversationTranscript(conversationId: $id, first: 10) { totalCount } }`;

describe('analytics: ranges, scoping and access shared by every report', () => {
  let app: TestApp;
  let acme: TestOrganization;
  let globex: TestOrganization;
  let acmeFlowId: string;
  let globexFlowId: string;
  let acmeChannelId: string;
  let acmeConversationId: string;

  beforeAll(async () => {
    app = await startTestApp();
    acme = await createOrganization(app, 'Acme');
    globex = await createOrganization(app, 'Globex');
    acmeFlowId = await publishedFlow(app.client(acme.ownerKey), SAMPLE_FLOW, 'Acme flow');
    globexFlowId = await publishedFlow(app.client(globex.ownerKey), SAMPLE_FLOW, 'Globex flow');
    acmeChannelId = await createTestChannel(app, acme.ownerKey);
    const history = new History(app, acme.id);
    const contactId = await history.contact({ firstSeenAt: at('2026-03-02T10:00:00Z') });
    acmeConversationId = await history.conversation({ channelId: acmeChannelId, contactId, openedAt: at('2026-03-02T10:00:00Z') });
    await history.message({ conversationId: acmeConversationId, direction: 'IN', at: at('2026-03-02T10:00:00Z'), text: 'hello' });
    await refresh(app);
  });
  afterAll(() => app?.stop());

  const ask = (key: string, report: Report, range: Record<string, unknown>, ids = { flowId: acmeFlowId }) =>
    app.client(key).request<Record<string, unknown>>(report.query, { ...report.variables(ids), range });

  describe.each(REPORTS.map((report) => [report.name, report] as const))('%s', (_name, report) => {
    it('answers for a valid range', async () => {
      const answer = await ask(acme.ownerKey, report, RANGE);
      expect(answer[report.name]).toBeTruthy();
    });

    it.each([
      ['to before from', { ...RANGE, from: RANGE.to, to: RANGE.from }, 'range.to'],
      ['an empty range', { ...RANGE, to: RANGE.from }, 'range.to'],
      ['more than 400 days', { ...RANGE, from: '2025-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z' }, 'range.to'],
      ['an unknown time zone', { ...RANGE, timeZone: 'Mars/Olympus_Mons' }, 'range.timeZone'],
      ['a time zone of 300 characters', { ...RANGE, timeZone: 'Europe/'.padEnd(300, 'x') }, 'range.timeZone'],
      ['SQL in the time zone', { ...RANGE, timeZone: "UTC'; drop table message; --" }, 'range.timeZone'],
    ])('refuses %s with BAD_USER_INPUT naming the argument', async (_case, range, field) => {
      const error = await firstError(ask(acme.ownerKey, report, range));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    });

    it("answers another organization's channel exactly like an unknown one", async () => {
      const foreign = await firstError(ask(globex.ownerKey, report, { ...RANGE, channelId: acmeChannelId }, { flowId: globexFlowId }));
      const unknown = await firstError(ask(globex.ownerKey, report, { ...RANGE, channelId: '00000000-0000-4000-8000-000000000000' }, { flowId: globexFlowId }));
      expect(foreign).toEqual(unknown);
      expect(foreign.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'range.channelId' });
    });

    it('refuses callers without credentials', async () => {
      const response = await app.post({ query: report.query, variables: { ...report.variables({ flowId: acmeFlowId }), range: RANGE } });
      expect(response.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    });
  });

  it("refuses another organization's flow as NOT_FOUND, naming flowId", async () => {
    for (const report of REPORTS.filter((r) => r.name.startsWith('flow'))) {
      const error = await firstError(ask(globex.ownerKey, report, RANGE, { flowId: acmeFlowId }));
      expect(error.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'flowId' });
    }
  });

  it("keeps one organization's activity out of another's reports", async () => {
    const activity = REPORTS.find((r) => r.name === 'dailyActivity')!;
    expect(await ask(acme.ownerKey, activity, RANGE)).toEqual({ dailyActivity: { totals: { inbound: 1 } } });
    expect(await ask(globex.ownerKey, activity, RANGE)).toEqual({ dailyActivity: { totals: { inbound: 0 } } });
  });

  it("shows a transcript to its organization only, and another's as NOT_FOUND", async () => {
    const own = await app.client(acme.ownerKey).request<any>(TRANSCRIPT, { id: acmeConversationId });
    expect(own.conversationTranscript.totalCount).toBeGreaterThan(0);
    const error = await firstError(app.client(globex.ownerKey).request(TRANSCRIPT, { id: acmeConversationId }));
    expect(error.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'conversationId' });
  });

  describe('rebuildAnalytics', () => {
    it('runs as a job with visible progress, for its organization only', async () => {
      const started = await app.client(acme.ownerKey).request<any>(REBUILD, { input: { from: RANGE.from, to: RANGE.to } });
      expect(started.rebuildAnalytics).toMatchObject({ id: expect.any(String), from: '2026-03-01T00:00:00.000Z', to: '2026-03-31T00:00:00.000Z' });
      const id = started.rebuildAnalytics.id as string;
      const done = await waitFor(
        async () => {
          const { analyticsRebuild } = await app.client(acme.ownerKey).request<any>(REBUILD_STATUS, { id });
          return analyticsRebuild.state === 'completed' || analyticsRebuild.state === 'failed' ? analyticsRebuild : null;
        },
        { what: 'the rebuild job to finish', timeoutMs: 30_000 },
      );
      expect(done).toEqual({ id, state: 'completed', progress: 100, failedReason: null });

      const foreign = await firstError(app.client(globex.ownerKey).request(REBUILD_STATUS, { id }));
      const unknown = await firstError(app.client(globex.ownerKey).request(REBUILD_STATUS, { id: '999999' }));
      expect(foreign).toEqual({ ...unknown, message: expect.any(String) });
      expect(foreign.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    });

    it('is for admins; bad ranges are refused naming the field and start nothing', async () => {
      const agent = await createApiKey(app, acme.ownerKey, 'AGENT');
      const forbidden = await firstError(app.client(agent.secret).request(REBUILD, { input: { from: RANGE.from, to: RANGE.to } }));
      expect(forbidden.extensions.code).toBe('FORBIDDEN');

      for (const [input, field] of [
        [{ from: RANGE.to, to: RANGE.from }, 'input.to'],
        [{ from: '2024-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'input.to'],
      ] as const) {
        const error = await firstError(app.client(acme.ownerKey).request(REBUILD, { input }));
        expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      }
      const rebuilds = (await app.queues.get('analytics').getJobs(['waiting', 'active', 'completed', 'failed', 'delayed'])).filter((job) => job.name === 'rebuild-analytics');
      expect(rebuilds).toHaveLength(1); // the one from the previous test
    });
  });
});
