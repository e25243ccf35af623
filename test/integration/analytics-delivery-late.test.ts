import { gql } from 'graphql-request';
import { systemEm } from '../../src/db/entity-manager';
import { sql } from '../../src/db/sql';
import { refreshAnalytics } from '../../src/services/analytics/analytics-refresh.service';
import { deliveryRollupBuilder } from '../../src/services/analytics/delivery/delivery-rollup.builder';
import { History, at } from '../helpers/analytics-history';
import { channelInput, createOrganization, type TestOrganization } from '../helpers/fixtures';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { waitFor } from '../helpers/wait';

/**
 * News about an old message (a late status, a reply in a later quarter hour, a message slotted in
 * between) must reach the rollup row of the quarter hour the old message was created in, which the
 * report reads from then on.
 */

const TOTALS = gql`
  query ($range: AnalyticsRangeInput!) {
    deliveryFunnel(range: $range, by: CHANNEL) { totals { queued sent delivered read replied failed replyRate } }
  }
`;
const CREATE_CHANNEL = gql`
  mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } } }
`;
const RANGE = { from: '2026-06-10T00:00:00Z', to: '2026-06-11T00:00:00Z', timeZone: 'UTC' };

async function refreshAll(app: TestApp) {
  await app.deps.events.sequenceNow(); // the refresher reads events by seq
  await waitFor(async () => (await refreshAnalytics(systemEm(app.orm), { builders: [deliveryRollupBuilder] })).ran, {
    what: 'a refresher pass',
    timeoutMs: 30_000,
    intervalMs: 100,
  });
}

describe('deliveryFunnel after late news', () => {
  let app: TestApp;
  let org: TestOrganization;
  let history: History;
  let conversationId: string;
  let outbound: string;

  const totals = async () => (await app.client(org.ownerKey).request<any>(TOTALS, { range: RANGE })).deliveryFunnel.totals;
  /** Every span's rollup row holding the 10:00 message: [span, start, read, replied]. */
  const rowsOfTenOClock = async () =>
    (
      await sql<{ span_minutes: number; bucket: Date; read: number; replied: number }>(
        systemEm(app.orm),
        `select span_minutes, bucket, read, replied from analytics_delivery
          where organization_id = ? and bucket <= '2026-06-10T10:00:00Z' order by span_minutes`,
        [org.id],
      )
    ).map((row) => [row.span_minutes, new Date(row.bucket).toISOString(), row.read, row.replied]);
  const spans = (read: number, replied: number) => [
    [15, '2026-06-10T10:00:00.000Z', read, replied],
    [1440, '2026-06-10T00:00:00.000Z', read, replied],
    [11_520, '2026-06-04T00:00:00.000Z', read, replied],
    [92_160, '2026-06-04T00:00:00.000Z', read, replied],
  ];

  beforeAll(async () => {
    app = await startTestApp();
    org = await createOrganization(app, 'Late news');
    const channel = (await app.client(org.ownerKey).request<any>(CREATE_CHANNEL, { input: channelInput() })).createChannel.channel.id;
    history = new History(app, org.id);
    const contactId = await history.contact({ firstSeenAt: at('2026-06-10T10:00:00Z') });
    conversationId = await history.conversation({ channelId: channel, contactId, openedAt: at('2026-06-10T10:00:00Z') });
    outbound = await history.message({ conversationId, direction: 'OUT', at: at('2026-06-10T10:00:00Z'), authorKind: 'AGENT',
      sentAt: at('2026-06-10T10:00:01Z'), deliveredAt: at('2026-06-10T10:00:02Z'), pricingCategory: 'service' });
    await refreshAll(app);
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('a read status days later and a reply two hours later change the old quarter hour after a refresh', async () => {
    expect(await totals()).toEqual({ queued: 1, sent: 1, delivered: 1, read: 0, replied: 0, failed: 0, replyRate: 0 });
    expect(await rowsOfTenOClock()).toEqual(spans(0, 0));

    // The status event points at the old message; the reply is a message of the 11:45 quarter hour.
    await sql(systemEm(app.orm), `update message set status = 'READ', read_at = ? where id = ?`, [at('2026-06-12T08:00:00Z'), outbound]);
    await history.event(conversationId, 'MESSAGE_STATUS_CHANGED', { messageId: outbound, reported: 'READ', status: 'READ' }, at('2026-06-12T08:00:00Z'));
    await history.message({ conversationId, direction: 'IN', at: at('2026-06-10T11:50:00Z'), text: 'sorry, late' });
    await refreshAll(app);

    expect(await totals()).toEqual({ queued: 1, sent: 1, delivered: 1, read: 1, replied: 1, failed: 0, replyRate: 1 });
    expect(await rowsOfTenOClock()).toEqual(spans(1, 1));
  });

  it('rebuilding only the reply\'s quarter hour rebuilds the quarter hour of the message it answers', async () => {
    // Inside one transaction, so the app's own refresher cannot do the work for us: the 10:00 row is
    // deleted, and only the bucket of the 11:50 reply is rebuilt.
    const replied = await systemEm(app.orm).transactional(async (tx) => {
      await deliveryRollupBuilder.rebuildBuckets(tx, [{ organizationId: org.id, buckets: [at('2000-01-01T00:00:00Z')] }]); // takes the builder's lock first
      await sql(tx, `delete from analytics_delivery where organization_id = ? and span_minutes = 15 and bucket = '2026-06-10T10:00:00Z'`, [org.id]);
      await deliveryRollupBuilder.rebuildBuckets(tx, [{ organizationId: org.id, buckets: [at('2026-06-10T11:45:00Z')] }]);
      return sql<{ replied: number }>(tx, `select replied from analytics_delivery where organization_id = ? and span_minutes = 15 and bucket = '2026-06-10T10:00:00Z'`, [org.id]);
    });
    expect(replied).toEqual([{ replied: 1 }]);
  });

  it('a message of ours slotted in before the reply takes the credit from the older one', async () => {
    await history.message({ conversationId, direction: 'OUT', at: at('2026-06-10T11:00:00Z'), authorKind: 'AGENT',
      sentAt: at('2026-06-10T11:00:01Z'), deliveredAt: at('2026-06-10T11:00:02Z'), pricingCategory: 'service' });
    const rows = await systemEm(app.orm).transactional(async (tx) => {
      await deliveryRollupBuilder.rebuildBuckets(tx, [{ organizationId: org.id, buckets: [at('2000-01-01T00:00:00Z')] }]);
      await sql(tx, `delete from analytics_delivery where organization_id = ? and span_minutes = 15 and bucket = '2026-06-10T10:00:00Z'`, [org.id]);
      await deliveryRollupBuilder.rebuildBuckets(tx, [{ organizationId: org.id, buckets: [at('2026-06-10T11:00:00Z')] }]);
      return sql<{ bucket: Date; replied: number }>(
        tx,
        `select bucket, replied from analytics_delivery where organization_id = ? and span_minutes = 15 order by bucket`,
        [org.id],
      );
    });
    expect(rows.map((row) => [new Date(row.bucket).toISOString(), row.replied])).toEqual([
      ['2026-06-10T10:00:00.000Z', 0],
      ['2026-06-10T11:00:00.000Z', 1],
    ]);
    await refreshAll(app);
    expect(await totals()).toEqual({ queued: 2, sent: 2, delivered: 2, read: 1, replied: 1, failed: 0, replyRate: 0.5 });
  });
  it('a status committed after a thousand newer events and a refresh still counts', async () => {
    const second = await history.message({ conversationId, direction: 'OUT', at: at('2026-06-10T12:00:00Z'), authorKind: 'AGENT',
      sentAt: at('2026-06-10T12:00:01Z'), deliveredAt: at('2026-06-10T12:00:02Z'), pricingCategory: 'service' });
    await refreshAll(app);
    expect(await totals()).toMatchObject({ sent: 3, read: 1 });

    // The READ event draws its id now but commits last: a thousand events drawn after it commit
    // first and are applied, the way a slow transaction overlaps a busy minute.
    await systemEm(app.orm).transactional(async (tx) => {
      await sql(tx, `update message set status = 'READ', read_at = ? where id = ?`, [at('2026-06-10T12:05:00Z'), second]);
      await sql(
        tx,
        `insert into conversation_event (organization_id, conversation_id, type, data, created_at) values (?, ?, 'MESSAGE_STATUS_CHANGED', ?::jsonb, ?)`,
        [org.id, conversationId, JSON.stringify({ messageId: second, reported: 'READ', status: 'READ' }), at('2026-06-10T12:05:00Z')],
      );
      await sql(
        systemEm(app.orm),
        `insert into conversation_event (organization_id, conversation_id, type, data, created_at)
         select ?, ?, 'REACTION', jsonb_build_object('emoji', '👍', 'n', n), ? from generate_series(1, 1000) n`,
        [org.id, conversationId, at('2026-06-10T12:01:00Z')],
      );
      await refreshAll(app);
    });
    await refreshAll(app);
    expect(await totals()).toMatchObject({ sent: 3, read: 2 });
  });
});
