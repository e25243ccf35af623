import { randomUUID } from 'node:crypto';
import { gql } from 'graphql-request';
import { systemEm } from '../../src/db/entity-manager';
import { sql } from '../../src/db/sql';
import { refreshAnalytics } from '../../src/services/analytics/analytics-refresh.service';
import { deliveryFunnel } from '../../src/services/analytics/delivery/delivery-funnel.service';
import { DeliveryGrouping } from '../../src/services/analytics/delivery/delivery-grouping';
import { deliveryRollupBuilder } from '../../src/services/analytics/delivery/delivery-rollup.builder';
import { History, at } from '../helpers/analytics-history';
import { channelInput, createOrganization, firstError, type TestOrganization } from '../helpers/fixtures';
import { UPDATE_FLOW_DRAFT, createFlow, publishFlow } from '../helpers/flows';
import { createApiKey } from '../helpers/members';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { waitFor } from '../helpers/wait';

/**
 * deliveryFunnel over a small hand-built history whose every figure is worked out below, read
 * through GraphQL after the real refresher has rolled it up, and compared with the raw path.
 */

const FIGURES = `queued sent delivered read replied failed sentRate deliveredRate readRate replyRate failureRate
  topFailures { code title count } pricingCategories { category count }`;
const DELIVERY_FUNNEL = gql`
  query DeliveryFunnel($range: AnalyticsRangeInput!, $by: DeliveryGrouping!, $flowId: ID, $flowVersion: Int, $templateId: ID) {
    deliveryFunnel(range: $range, by: $by, flowId: $flowId, flowVersion: $flowVersion, templateId: $templateId) {
      by from to timeZone
      rows {
        ${FIGURES}
        template { id name language category }
        flowNode { flowId flowName flowVersion nodeId }
        channel { id name displayPhoneNumber }
      }
      totals { ${FIGURES} }
    }
  }
`;
const CREATE_CHANNEL = gql`
  mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } } }
`;
const REBUILD = gql`
  mutation ($input: RebuildAnalyticsInput!) { rebuildAnalytics(input: $input) { id state progress } }
`;
const REBUILD_STATE = gql`
  query ($id: ID!) { analyticsRebuild(id: $id) { id state progress failedReason } }
`;

const FLOW_V1 = {
  start: 'welcome',
  nodes: [
    { id: 'welcome', type: 'message', text: 'Hi!', next: 'ask' },
    { id: 'ask', type: 'question', text: 'Your email?', validate: { kind: 'email' }, saveAs: 'email', next: 'promo' },
    { id: 'promo', type: 'template', template: 'promo', language: 'pt_BR', next: 'bye' },
    { id: 'bye', type: 'end', text: 'Bye' },
  ],
};
const FLOW_V2 = { ...FLOW_V1, nodes: [{ ...FLOW_V1.nodes[0], text: 'Hello!' }, ...FLOW_V1.nodes.slice(1)] };

const UNDELIVERABLE = 'Message undeliverable';
const INCAPABLE = 'Receiver is incapable of receiving this message';
const HEALTHY = 'This message was not delivered to maintain healthy ecosystem engagement';
const NO_ANSWER = 'No answer from Meta and no status webhook after 5 attempts';

const WHOLE_RANGE = { from: '2026-06-10T00:00:00.000Z', to: '2026-06-12T00:00:00.000Z', timeZone: 'UTC' };

interface Figures {
  queued: number;
  sent: number;
  delivered: number;
  read: number;
  replied: number;
  failed: number;
  sentRate: number | null;
  deliveredRate: number | null;
  readRate: number | null;
  replyRate: number | null;
  failureRate: number | null;
  topFailures: { code: string | null; title: string | null; count: number }[];
  pricingCategories: { category: string; count: number }[];
}

const ZERO: Figures = {
  queued: 0, sent: 0, delivered: 0, read: 0, replied: 0, failed: 0,
  sentRate: null, deliveredRate: null, readRate: null, replyRate: null, failureRate: null, topFailures: [], pricingCategories: [],
};

/**
 * Runs a refresher pass of our own (the app's repeatable one may hold the state row: then we wait
 * for ours), with the delivery builder only, so that this file tests this slice alone.
 */
async function refreshAll(app: TestApp) {
  await app.deps.events.sequenceNow(); // the refresher reads events by seq
  await waitFor(async () => (await refreshAnalytics(systemEm(app.orm), { builders: [deliveryRollupBuilder] })).ran, {
    what: 'a refresher pass',
    timeoutMs: 30_000,
    intervalMs: 100,
  });
}

async function insertTemplate(app: TestApp, organizationId: string, name: string, language: string, category: string): Promise<string> {
  const id = randomUUID();
  await sql(
    systemEm(app.orm),
    `insert into template (id, created_at, updated_at, organization_id, waba_id, name, language, category, status)
     values (?, now(), now(), ?, '1000', ?, ?, ?, 'APPROVED')`,
    [id, organizationId, name, language, category],
  );
  return id;
}

async function createNamedChannel(app: TestApp, key: string, name: string, displayPhoneNumber: string): Promise<string> {
  const result = await app.client(key).request<any>(CREATE_CHANNEL, { input: channelInput({ name, displayPhoneNumber }) });
  return result.createChannel.channel.id;
}

describe('deliveryFunnel', () => {
  let app: TestApp;
  let orgA: TestOrganization;
  let orgB: TestOrganization;
  let alpha: string;
  let beta: string;
  let shipped: string;
  let promo: string;
  let flowId: string;
  let history: History;

  const funnel = async (variables: Record<string, unknown>, key = orgA.ownerKey) =>
    (await app.client(key).request<any>(DELIVERY_FUNNEL, { range: WHOLE_RANGE, by: 'CHANNEL', ...variables })).deliveryFunnel;

  /** The same report from raw messages only, shaped as GraphQL returns it. */
  const rawFunnel = async (organizationId: string, range: { from: string; to: string; timeZone: string; channelId?: string | null }, filters: Record<string, unknown>) =>
    JSON.parse(
      JSON.stringify(
        await deliveryFunnel(
          systemEm(app.orm),
          { organizationId, from: new Date(range.from), to: new Date(range.to), timeZone: range.timeZone, channelId: range.channelId ?? null },
          { by: DeliveryGrouping.CHANNEL, flowId: null, flowVersion: null, templateId: null, ...filters },
          { source: 'raw' },
        ),
      ),
    );

  beforeAll(async () => {
    app = await startTestApp();
    orgA = await createOrganization(app, 'Deliveries A');
    orgB = await createOrganization(app, 'Deliveries B');
    alpha = await createNamedChannel(app, orgA.ownerKey, 'Alpha', '+1 555 010 0001');
    beta = await createNamedChannel(app, orgA.ownerKey, 'Beta', '+1 555 010 0002');
    shipped = await insertTemplate(app, orgA.id, 'order_shipped', 'en_US', 'UTILITY');
    promo = await insertTemplate(app, orgA.id, 'promo', 'pt_BR', 'MARKETING');
    const client = app.client(orgA.ownerKey);
    flowId = await createFlow(client, FLOW_V1, 'Onboarding');
    expect(await publishFlow(client, flowId)).toBe(1);
    await client.request(UPDATE_FLOW_DRAFT, { input: { flowId, definition: FLOW_V2 } });
    expect(await publishFlow(client, flowId)).toBe(2);
    const v1 = (nodeId: string) => ({ id: flowId, version: 1, nodeId });
    const v2 = (nodeId: string) => ({ id: flowId, version: 2, nodeId });

    history = new History(app, orgA.id);
    const customer = async (channelId: string, openedAt: Date) =>
      history.conversation({ channelId, contactId: await history.contact({ firstSeenAt: openedAt }), openedAt });

    // c1 (Alpha): the bot's welcome and question leave in one step (same created_at); the answer credits the question.
    const c1 = await customer(alpha, at('2026-06-10T09:00:00Z'));
    await history.message({ conversationId: c1, direction: 'OUT', at: at('2026-06-10T09:00:00Z'), flow: v1('welcome'), // m1
      sentAt: at('2026-06-10T09:00:01Z'), deliveredAt: at('2026-06-10T09:00:02Z'), readAt: at('2026-06-10T09:00:30Z'), pricingCategory: 'service' });
    await history.message({ conversationId: c1, direction: 'OUT', at: at('2026-06-10T09:00:00Z'), flow: v1('ask'), // m2
      sentAt: at('2026-06-10T09:00:01Z'), deliveredAt: at('2026-06-10T09:00:03Z'), pricingCategory: 'service' });
    await history.message({ conversationId: c1, direction: 'IN', at: at('2026-06-10T09:05:00Z'), text: 'ana@example.com' });
    // m3: the flow's template node; Meta reported read without delivered. Its only reply comes 24 h 1 min later.
    await history.message({ conversationId: c1, direction: 'OUT', at: at('2026-06-10T09:05:00Z'), flow: v1('promo'), templateId: promo, type: 'TEMPLATE',
      sentAt: at('2026-06-10T09:05:01Z'), readAt: at('2026-06-10T09:06:00Z'), pricingCategory: 'marketing' });
    await history.message({ conversationId: c1, direction: 'IN', at: at('2026-06-11T09:06:00Z'), text: 'thanks' });

    // c2 (Alpha): template sends that fail, then an agent's message that is answered.
    const c2 = await customer(alpha, at('2026-06-10T10:20:00Z'));
    await history.message({ conversationId: c2, direction: 'OUT', at: at('2026-06-10T10:20:00Z'), authorKind: 'API', templateId: shipped, type: 'TEMPLATE', // m4
      failedAt: at('2026-06-10T10:20:05Z'), errorCode: '131026', errorTitle: UNDELIVERABLE });
    await history.message({ conversationId: c2, direction: 'OUT', at: at('2026-06-10T10:25:00Z'), authorKind: 'API', templateId: shipped, type: 'TEMPLATE', // m5
      sentAt: at('2026-06-10T10:25:01Z'), failedAt: at('2026-06-10T10:25:10Z'), errorCode: '131049', errorTitle: HEALTHY, pricingCategory: 'utility' });
    await history.message({ conversationId: c2, direction: 'IN', at: at('2026-06-10T10:30:00Z'), text: 'hello?' }); // after a FAILED message: no reply
    await history.message({ conversationId: c2, direction: 'OUT', at: at('2026-06-10T10:31:00Z'), authorKind: 'AGENT', // m6
      sentAt: at('2026-06-10T10:31:01Z'), deliveredAt: at('2026-06-10T10:31:02Z'), readAt: at('2026-06-10T10:32:00Z'), pricingCategory: 'service' });
    await history.message({ conversationId: c2, direction: 'IN', at: at('2026-06-10T10:40:00Z'), text: 'ok' });

    // c3 (Beta), late in the UTC day: a reaction is no reply; failures with one code and two titles; an internal failure.
    const c3 = await customer(beta, at('2026-06-10T23:30:00Z'));
    await history.message({ conversationId: c3, direction: 'OUT', at: at('2026-06-10T23:30:00Z'), flow: v1('welcome'), // m7
      sentAt: at('2026-06-10T23:30:01Z'), deliveredAt: at('2026-06-10T23:30:02Z'), pricingCategory: 'service' });
    await history.message({ conversationId: c3, direction: 'IN', at: at('2026-06-10T23:35:00Z'), type: 'REACTION' });
    await history.message({ conversationId: c3, direction: 'OUT', at: at('2026-06-10T23:50:00Z'), authorKind: 'API', templateId: shipped, type: 'TEMPLATE' }); // m8, still queued
    await history.message({ conversationId: c3, direction: 'OUT', at: at('2026-06-11T00:10:00Z'), flow: v2('welcome'), // m9
      sentAt: at('2026-06-11T00:10:01Z'), deliveredAt: at('2026-06-11T00:10:02Z'), readAt: at('2026-06-11T00:11:00Z'), pricingCategory: 'service' });
    await history.message({ conversationId: c3, direction: 'IN', at: at('2026-06-11T00:20:00Z'), text: 'yes' });
    await history.message({ conversationId: c3, direction: 'OUT', at: at('2026-06-11T00:40:00Z'), authorKind: 'API', templateId: shipped, type: 'TEMPLATE', // m10
      failedAt: at('2026-06-11T00:40:01Z'), errorCode: '131026', errorTitle: UNDELIVERABLE });
    await history.message({ conversationId: c3, direction: 'OUT', at: at('2026-06-11T01:00:00Z'), authorKind: 'API', templateId: shipped, type: 'TEMPLATE', // m11
      failedAt: at('2026-06-11T01:00:01Z'), errorCode: '131026', errorTitle: INCAPABLE });
    await history.message({ conversationId: c3, direction: 'OUT', at: at('2026-06-11T01:10:00Z'), authorKind: 'AGENT', // m12
      failedAt: at('2026-06-11T01:10:30Z'), errorTitle: NO_ANSWER });

    // Organization B's own traffic in the same hours: never in A's figures.
    const bChannel = await createNamedChannel(app, orgB.ownerKey, 'Gamma', '+1 555 010 0003');
    const other = new History(app, orgB.id);
    const b1 = await other.conversation({ channelId: bChannel, contactId: await other.contact({ firstSeenAt: at('2026-06-10T09:00:00Z') }), openedAt: at('2026-06-10T09:00:00Z') });
    await other.message({ conversationId: b1, direction: 'OUT', at: at('2026-06-10T09:00:00Z'), authorKind: 'API',
      failedAt: at('2026-06-10T09:00:01Z'), errorCode: '131047', errorTitle: 'Re-engagement message' });
    await other.message({ conversationId: b1, direction: 'OUT', at: at('2026-06-10T09:10:00Z'), authorKind: 'AGENT',
      sentAt: at('2026-06-10T09:10:01Z'), deliveredAt: at('2026-06-10T09:10:02Z'), pricingCategory: 'service' });

    await refreshAll(app);
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('counts every stage per template, with failure codes and titles and pricing categories', async () => {
    const report = await funnel({ by: 'TEMPLATE' });
    expect(report).toMatchObject({ by: 'TEMPLATE', from: WHOLE_RANGE.from, to: WHOLE_RANGE.to, timeZone: 'UTC' });
    // order_shipped: m4 (refused), m5 (sent, then failed), m8 (queued), m10 and m11 (refused).
    const shippedFigures: Figures = {
      queued: 5, sent: 1, delivered: 0, read: 0, replied: 0, failed: 4,
      sentRate: 0.2, deliveredRate: 0, readRate: null, replyRate: null, failureRate: 0.8,
      // 131026 twice as "undeliverable", once as "incapable": the title most of them carried.
      topFailures: [{ code: '131026', title: UNDELIVERABLE, count: 3 }, { code: '131049', title: HEALTHY, count: 1 }],
      pricingCategories: [{ category: 'utility', count: 1 }],
    };
    // promo: m3, read (so delivered) but answered only after 24 hours.
    const promoFigures: Figures = {
      queued: 1, sent: 1, delivered: 1, read: 1, replied: 0, failed: 0,
      sentRate: 1, deliveredRate: 1, readRate: 1, replyRate: 0, failureRate: 0,
      topFailures: [], pricingCategories: [{ category: 'marketing', count: 1 }],
    };
    expect(report.rows).toEqual([
      { ...shippedFigures, template: { id: shipped, name: 'order_shipped', language: 'en_US', category: 'UTILITY' }, flowNode: null, channel: null },
      { ...promoFigures, template: { id: promo, name: 'promo', language: 'pt_BR', category: 'MARKETING' }, flowNode: null, channel: null },
    ]);
    expect(report.totals).toEqual({
      queued: 6, sent: 2, delivered: 1, read: 1, replied: 0, failed: 4,
      sentRate: 2 / 6, deliveredRate: 1 / 2, readRate: 1, replyRate: 0, failureRate: 4 / 6,
      topFailures: [{ code: '131026', title: UNDELIVERABLE, count: 3 }, { code: '131049', title: HEALTHY, count: 1 }],
      pricingCategories: [{ category: 'marketing', count: 1 }, { category: 'utility', count: 1 }],
    });
  });

  it('counts every stage per flow, version and node', async () => {
    const report = await funnel({ by: 'FLOW_NODE' });
    const node = (flowVersion: number, nodeId: string) => ({ template: null, channel: null, flowNode: { flowId, flowName: 'Onboarding', flowVersion, nodeId } });
    expect(report.rows).toEqual([
      // m1 (read) and m7 (delivered): each followed by another message of ours (m2; m8 after a reaction).
      { queued: 2, sent: 2, delivered: 2, read: 1, replied: 0, failed: 0, sentRate: 1, deliveredRate: 1, readRate: 0.5, replyRate: 0, failureRate: 0,
        topFailures: [], pricingCategories: [{ category: 'service', count: 2 }], ...node(1, 'welcome') },
      // m2: the customer's answer came after it, before anything else of ours.
      { queued: 1, sent: 1, delivered: 1, read: 0, replied: 1, failed: 0, sentRate: 1, deliveredRate: 1, readRate: 0, replyRate: 1, failureRate: 0,
        topFailures: [], pricingCategories: [{ category: 'service', count: 1 }], ...node(1, 'ask') },
      { queued: 1, sent: 1, delivered: 1, read: 1, replied: 0, failed: 0, sentRate: 1, deliveredRate: 1, readRate: 1, replyRate: 0, failureRate: 0,
        topFailures: [], pricingCategories: [{ category: 'marketing', count: 1 }], ...node(1, 'promo') },
      // m9, version 2.
      { queued: 1, sent: 1, delivered: 1, read: 1, replied: 1, failed: 0, sentRate: 1, deliveredRate: 1, readRate: 1, replyRate: 1, failureRate: 0,
        topFailures: [], pricingCategories: [{ category: 'service', count: 1 }], ...node(2, 'welcome') },
    ]);
    expect(report.totals).toEqual({
      queued: 5, sent: 5, delivered: 5, read: 3, replied: 2, failed: 0,
      sentRate: 1, deliveredRate: 1, readRate: 3 / 5, replyRate: 2 / 5, failureRate: 0,
      topFailures: [], pricingCategories: [{ category: 'service', count: 4 }, { category: 'marketing', count: 1 }],
    });
  });

  it('counts every outbound message per channel, with totals and rates', async () => {
    const report = await funnel({ by: 'CHANNEL' });
    expect(report.rows).toEqual([
      // Alpha: m1-m6. Sent: all but m4; delivered: m1, m2, m3, m6; read: m1, m3, m6; replied: m2, m6.
      { queued: 6, sent: 5, delivered: 4, read: 3, replied: 2, failed: 2,
        sentRate: 5 / 6, deliveredRate: 4 / 5, readRate: 3 / 4, replyRate: 2 / 4, failureRate: 2 / 6,
        topFailures: [{ code: '131026', title: UNDELIVERABLE, count: 1 }, { code: '131049', title: HEALTHY, count: 1 }],
        pricingCategories: [{ category: 'service', count: 3 }, { category: 'marketing', count: 1 }, { category: 'utility', count: 1 }],
        template: null, flowNode: null, channel: { id: alpha, name: 'Alpha', displayPhoneNumber: '+1 555 010 0001' } },
      // Beta: m7-m12. Sent and delivered: m7, m9; read and replied: m9; failed: m10, m11, m12.
      { queued: 6, sent: 2, delivered: 2, read: 1, replied: 1, failed: 3,
        sentRate: 2 / 6, deliveredRate: 1, readRate: 0.5, replyRate: 0.5, failureRate: 3 / 6,
        // One title each for 131026: the tie goes to the alphabetically first. A failure of ours has no code.
        topFailures: [{ code: '131026', title: UNDELIVERABLE, count: 2 }, { code: null, title: NO_ANSWER, count: 1 }],
        pricingCategories: [{ category: 'service', count: 2 }],
        template: null, flowNode: null, channel: { id: beta, name: 'Beta', displayPhoneNumber: '+1 555 010 0002' } },
    ]);
    expect(report.totals).toEqual({
      queued: 12, sent: 7, delivered: 6, read: 4, replied: 3, failed: 5,
      sentRate: 7 / 12, deliveredRate: 6 / 7, readRate: 4 / 6, replyRate: 3 / 6, failureRate: 5 / 12,
      topFailures: [{ code: '131026', title: UNDELIVERABLE, count: 3 }, { code: '131049', title: HEALTHY, count: 1 }, { code: null, title: NO_ANSWER, count: 1 }],
      pricingCategories: [{ category: 'service', count: 5 }, { category: 'marketing', count: 1 }, { category: 'utility', count: 1 }],
    });
  });

  it('filters by flow, flow version, template and channel', async () => {
    const v2 = await funnel({ by: 'FLOW_NODE', flowId, flowVersion: 2 });
    expect(v2.rows.map((row: any) => [row.flowNode.flowVersion, row.flowNode.nodeId, row.queued, row.replied])).toEqual([[2, 'welcome', 1, 1]]);

    // Templates a flow sent: only promo (m3).
    const fromFlow = await funnel({ by: 'TEMPLATE', flowId });
    expect(fromFlow.rows.map((row: any) => [row.template.name, row.queued])).toEqual([['promo', 1]]);

    // order_shipped per channel: Alpha m4, m5; Beta m8, m10, m11.
    const perChannel = await funnel({ by: 'CHANNEL', templateId: shipped });
    expect(perChannel.rows.map((row: any) => [row.channel.name, row.queued, row.sent, row.failed])).toEqual([['Beta', 3, 0, 2], ['Alpha', 2, 1, 2]]);

    // Beta's flow messages: m7 (v1 welcome) and m9 (v2 welcome).
    const beta2 = await funnel({ by: 'FLOW_NODE', range: { ...WHOLE_RANGE, channelId: beta } });
    expect(beta2.rows.map((row: any) => [row.flowNode.flowVersion, row.flowNode.nodeId, row.queued, row.delivered])).toEqual([[1, 'welcome', 1, 1], [2, 'welcome', 1, 1]]);
    expect(beta2.totals.queued).toBe(2);
  });

  it('takes from inclusive and to exclusive, to the millisecond, across the seam between rollups and raw rows', async () => {
    // [09:00, 10:25): rollups for 09:00-10:15, raw rows for 10:15-10:25. m1-m4 in; m5, created at 10:25, out.
    const cut = await funnel({ range: { from: '2026-06-10T09:00:00Z', to: '2026-06-10T10:25:00Z', timeZone: 'UTC' } });
    expect(cut.totals).toMatchObject({ queued: 4, sent: 3, delivered: 3, read: 2, replied: 1, failed: 1 });
    // One millisecond later m1 and m2 (09:00:00.000) are out; m3 comes from the raw edge 09:00:00.001-09:15.
    const later = await funnel({ range: { from: '2026-06-10T09:00:00.001Z', to: '2026-06-10T10:25:00.001Z', timeZone: 'UTC' } });
    expect(later.totals).toMatchObject({ queued: 3, sent: 2, delivered: 1, read: 1, replied: 0, failed: 2 });
    expect(later.totals.topFailures).toEqual([{ code: '131026', title: UNDELIVERABLE, count: 1 }, { code: '131049', title: HEALTHY, count: 1 }]);
  });

  it('reads instants written with offsets; a message at 23:30 UTC belongs to the next day in Tokyo', async () => {
    // 10 June in Tokyo is [09 Jun 15:00Z, 10 Jun 15:00Z): Alpha's m1-m6, not Beta's 23:30 UTC message.
    const tokyo10 = await funnel({ range: { from: '2026-06-10T00:00:00+09:00', to: '2026-06-11T00:00:00+09:00', timeZone: 'Asia/Tokyo' } });
    expect(tokyo10).toMatchObject({ from: '2026-06-09T15:00:00.000Z', to: '2026-06-10T15:00:00.000Z', timeZone: 'Asia/Tokyo' });
    expect(tokyo10.rows.map((row: any) => [row.channel.name, row.queued])).toEqual([['Alpha', 6]]);
    // 11 June in Tokyo: Beta's m7 (23:30 UTC on the 10th) to m12.
    const tokyo11 = await funnel({ range: { from: '2026-06-11T00:00:00+09:00', to: '2026-06-12T00:00:00+09:00', timeZone: 'Asia/Tokyo' } });
    expect(tokyo11.rows.map((row: any) => [row.channel.name, row.queued])).toEqual([['Beta', 6]]);
    // 10 June in Sao Paulo (UTC-3) ends at 03:00 UTC on the 11th: everything.
    const saoPaulo = await funnel({ range: { from: '2026-06-10T00:00:00-03:00', to: '2026-06-11T00:00:00-03:00', timeZone: 'America/Sao_Paulo' } });
    expect(saoPaulo.totals.queued).toBe(12);
  });

  it('answers zeros for a range without messages', async () => {
    for (const by of ['TEMPLATE', 'FLOW_NODE', 'CHANNEL']) {
      const empty = await funnel({ by, range: { from: '2026-05-01T00:00:00Z', to: '2026-05-02T00:00:00Z', timeZone: 'UTC' } });
      expect(empty.rows).toEqual([]);
      expect(empty.totals).toEqual(ZERO);
    }
    // A channel with no traffic in the range, and a range in the still-unrolled future.
    expect((await funnel({ range: { ...WHOLE_RANGE, channelId: beta, from: '2026-06-10T00:00:00Z', to: '2026-06-10T23:00:00Z' } })).totals).toEqual(ZERO);
    const future = new Date(Date.now() + 86_400_000);
    expect((await funnel({ range: { from: future.toISOString(), to: new Date(future.getTime() + 86_400_000).toISOString() } })).totals).toEqual(ZERO);
  });

  it('gives from rollups exactly what the raw messages give', async () => {
    const ranges = [
      WHOLE_RANGE,
      { from: '2026-06-10T09:03:00Z', to: '2026-06-11T00:50:00Z', timeZone: 'UTC' },
      { from: '2026-06-09T15:00:00Z', to: '2026-06-11T15:00:00Z', timeZone: 'Asia/Tokyo', channelId: beta },
      { from: '2026-06-01T00:00:00Z', to: '2026-08-10T00:00:00Z', timeZone: 'UTC' }, // the 64-day span from 4 June, days around it
    ];
    const filterSets = [{ by: 'TEMPLATE' }, { by: 'FLOW_NODE' }, { by: 'CHANNEL' }, { by: 'CHANNEL', flowId, flowVersion: 1 }, { by: 'FLOW_NODE', templateId: promo }];
    for (const range of ranges) {
      for (const filters of filterSets) {
        const viaRollups = await funnel({ range, ...filters });
        expect(viaRollups).toEqual(await rawFunnel(orgA.id, range, filters));
      }
    }
    // The rollups really hold the messages: every span sums to A's 12 outbound messages.
    const spans = await sql<{ span_minutes: number; queued: string }>(
      systemEm(app.orm),
      'select span_minutes, sum(queued) as queued from analytics_delivery where organization_id = ? group by span_minutes order by span_minutes',
      [orgA.id],
    );
    expect(spans.map((row) => [row.span_minutes, Number(row.queued)])).toEqual([[15, 12], [1440, 12], [11_520, 12], [92_160, 12]]);
  });

  it('rebuildAnalytics recomputes lost rollups, and they still match the raw path', async () => {
    const em = systemEm(app.orm);
    await sql(em, 'delete from analytics_delivery where organization_id = ?', [orgA.id]);
    await sql(em, 'delete from analytics_delivery_failure where organization_id = ?', [orgA.id]);
    const started = (await app.client(orgA.ownerKey).request<any>(REBUILD, { input: { from: '2026-06-09T00:00:00Z', to: '2026-06-13T00:00:00Z' } })).rebuildAnalytics;
    const done = await waitFor(
      async () => {
        const job = (await app.client(orgA.ownerKey).request<any>(REBUILD_STATE, { id: started.id })).analyticsRebuild;
        if (job.state === 'failed') throw new Error(`rebuild failed: ${job.failedReason}`);
        return job.state === 'completed' ? job : null;
      },
      { what: 'the rebuild job to complete', timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(done.progress).toBe(100);
    const [counted] = await sql<{ queued: string }>(em, 'select sum(queued) as queued from analytics_delivery where organization_id = ? and span_minutes = 15', [orgA.id]);
    expect(Number(counted!.queued)).toBe(12);
    for (const by of ['TEMPLATE', 'FLOW_NODE', 'CHANNEL']) {
      expect(await funnel({ by })).toEqual(await rawFunnel(orgA.id, WHOLE_RANGE, { by }));
    }
    expect((await funnel({ by: 'CHANNEL' })).totals).toMatchObject({ queued: 12, sent: 7, delivered: 6, read: 4, replied: 3, failed: 5 });
  });

  it('keeps organizations apart', async () => {
    // B sees its own two messages only.
    const own = await funnel({ by: 'CHANNEL' }, orgB.ownerKey);
    expect(own.rows.map((row: any) => [row.channel.name, row.queued, row.failed])).toEqual([['Gamma', 2, 1]]);
    expect(own.totals.topFailures).toEqual([{ code: '131047', title: 'Re-engagement message', count: 1 }]);
    for (const by of ['TEMPLATE', 'FLOW_NODE']) expect((await funnel({ by }, orgB.ownerKey)).rows).toEqual([]);
    // A's ids are unknown to B, exactly like ids that do not exist.
    const unknown = randomUUID();
    for (const [variables, field] of [
      [{ flowId }, 'flowId'], [{ flowId: unknown }, 'flowId'],
      [{ templateId: shipped }, 'templateId'], [{ templateId: unknown }, 'templateId'],
      [{ range: { ...WHOLE_RANGE, channelId: alpha } }, 'range.channelId'], [{ range: { ...WHOLE_RANGE, channelId: unknown } }, 'range.channelId'],
    ] as const) {
      const error = await firstError(funnel(variables, orgB.ownerKey));
      expect(error.extensions).toMatchObject({ code: 'NOT_FOUND', field });
    }
    // Any member role may read reports.
    const viewer = await createApiKey(app, orgA.ownerKey, 'VIEWER');
    expect((await funnel({ by: 'CHANNEL' }, viewer.secret)).totals.queued).toBe(12);
  });

  it('refuses hostile arguments with the argument named', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ range: { from: '2026-06-12T00:00:00Z', to: '2026-06-10T00:00:00Z' } }, 'BAD_USER_INPUT', 'range.to'],
      [{ range: { from: '2026-06-10T00:00:00Z', to: '2026-06-10T00:00:00Z' } }, 'BAD_USER_INPUT', 'range.to'],
      [{ range: { from: '2025-01-01T00:00:00Z', to: '2026-06-10T00:00:00Z' } }, 'BAD_USER_INPUT', 'range.to'],
      [{ range: { ...WHOLE_RANGE, timeZone: 'Mars/Olympus_Mons' } }, 'BAD_USER_INPUT', 'range.timeZone'],
      [{ range: { ...WHOLE_RANGE, timeZone: "UTC'; drop table message; --" } }, 'BAD_USER_INPUT', 'range.timeZone'],
      [{ flowVersion: 1 }, 'BAD_USER_INPUT', 'flowVersion'],
      [{ flowId, flowVersion: 0 }, 'BAD_USER_INPUT', 'flowVersion'],
      [{ flowId, flowVersion: 3 }, 'NOT_FOUND', 'flowVersion'],
      [{ flowId: 'not-a-uuid' }, 'NOT_FOUND', 'flowId'],
      [{ templateId: "' or 1=1 --" }, 'NOT_FOUND', 'templateId'],
      [{ range: { ...WHOLE_RANGE, channelId: 'x'.repeat(5000) } }, 'NOT_FOUND', 'range.channelId'],
    ];
    for (const [variables, code, field] of cases) {
      const error = await firstError(funnel(variables));
      expect({ variables, code: error.extensions.code, field: error.extensions.field }).toEqual({ variables, code, field });
    }
    const unknownGrouping = await app.post({ query: DELIVERY_FUNNEL, variables: { range: WHOLE_RANGE, by: 'NODE' } }, { authorization: `Bearer ${orgA.ownerKey}` });
    expect(unknownGrouping.body.errors[0].message).toMatch(/DeliveryGrouping/);
    const anonymous = await firstError(app.client().request(DELIVERY_FUNNEL, { range: WHOLE_RANGE, by: 'CHANNEL' }));
    expect(anonymous.extensions.code).toBe('UNAUTHENTICATED');
    // Nothing was changed by any of it.
    expect((await funnel({ by: 'CHANNEL' })).totals).toMatchObject({ queued: 12, sent: 7, delivered: 6, read: 4, replied: 3, failed: 5 });
  });
});
