import { randomUUID } from 'node:crypto';
import { systemEm, tenantEm } from '../../src/db/entity-manager';
import { sql } from '../../src/db/sql';
import { Role } from '../../src/domain/role';
import { dailyActivity } from '../../src/services/analytics/activity/daily-activity.service';
import { BUCKET_MS, floorBucket } from '../../src/services/analytics/analytics-range';
import { DeliveryGrouping } from '../../src/services/analytics/delivery/delivery-grouping';
import { deliveryFunnel } from '../../src/services/analytics/delivery/delivery-funnel.service';
import type { MemberScope } from '../../src/services/scope';
import { at, createTestChannel, History, plusSeconds, refresh } from '../helpers/analytics-history';
import { createOrganization, type TestOrganization } from '../helpers/fixtures';
import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * The refresher owes the quarter hour being written instead of rebuilding it on every pass (reports
 * read it from the raw rows), rebuilds it once it has ended, a bounded number per run, and never
 * moves the mark before which reports trust the rollups past a quarter hour it still owes.
 */
describe('analytics refresher: the quarter hour being written', () => {
  let app: TestApp;
  let org: TestOrganization;
  let history: History;
  let conversationId: string;

  const em = () => systemEm(app.orm);
  const scope = (): MemberScope => ({
    em: tenantEm(app.orm, org.id),
    viewer: { kind: 'member', organizationId: org.id, role: Role.OWNER, userId: null, apiKeyId: null, sessionId: null },
  });
  const activityTotals = async (day: { from: Date; to: Date }, source: 'auto' | 'raw') =>
    (await dailyActivity(scope(), { ...day, timeZone: 'UTC', channelId: null } as never, { source })).totals;
  const funnelTotals = async (day: { from: Date; to: Date }, source: 'auto' | 'raw') =>
    (
      await deliveryFunnel(
        tenantEm(app.orm, org.id),
        { organizationId: org.id, ...day, timeZone: 'UTC', channelId: null },
        { by: DeliveryGrouping.CHANNEL, flowId: null, flowVersion: null, templateId: null },
        { source },
      )
    ).totals;
  const owed = async () =>
    (await sql<{ organization_id: string; bucket: Date }>(em(), 'select organization_id, bucket from analytics_pending_bucket order by bucket, organization_id')).map(
      (row) => [row.organization_id, new Date(row.bucket).toISOString()],
    );
  const contactActivityRows = async (bucket: Date) =>
    (await sql<{ n: number }>(em(), 'select count(*)::int as n from analytics_contact_activity where organization_id = ? and bucket = ?', [org.id, bucket]))[0]!.n;
  const completeBefore = async () =>
    new Date((await sql<{ complete_before: Date }>(em(), 'select complete_before from analytics_refresh_state where id = 1'))[0]!.complete_before).toISOString();

  beforeAll(async () => {
    app = await startTestApp();
    // Only this test's passes run: the scheduled ones would take the owed quarter hours between them.
    await app.queues.get('analytics').removeJobScheduler('refresh-analytics');
    org = await createOrganization(app, 'Open quarter hour');
    const channelId = await createTestChannel(app, org.ownerKey);
    history = new History(app, org.id);
    const contactId = await history.contact({ firstSeenAt: at('2026-06-10T10:05:00Z') });
    conversationId = await history.conversation({ channelId, contactId, openedAt: at('2026-06-10T10:05:00Z') });
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('owes the open quarter hour, which reports count from the raw rows, and credits a reply in it to our older message at once', async () => {
    // A quarter hour must not end between the messages and the refresh below.
    const untilNext = BUCKET_MS - (Date.now() % BUCKET_MS);
    if (untilNext < 20_000) await new Promise((resolve) => setTimeout(resolve, untilNext + 1_000));
    const now = new Date();
    const open = floorBucket(now);
    const earlier = new Date(open.getTime() - 4 * BUCKET_MS);
    await history.message({ conversationId, direction: 'OUT', at: earlier, authorKind: 'AGENT', sentAt: plusSeconds(earlier, 1),
      deliveredAt: plusSeconds(earlier, 2), pricingCategory: 'service' });
    await refresh(app);
    const repliedEarlier = () =>
      sql<{ replied: number }>(em(), 'select replied from analytics_delivery where organization_id = ? and span_minutes = 15 and bucket = ?', [org.id, earlier]);
    expect(await repliedEarlier()).toEqual([{ replied: 0 }]);
    await history.message({ conversationId, direction: 'IN', at: now, text: 'thanks!' });
    await refresh(app);

    expect(await owed()).toEqual([[org.id, open.toISOString()]]);
    expect(await contactActivityRows(open)).toBe(0);
    // The reply's quarter hour is owed, but our message's, which the reply credits, was rebuilt.
    expect(await repliedEarlier()).toEqual([{ replied: 1 }]);

    const day = { from: new Date(open.getTime() - 6 * BUCKET_MS), to: new Date(open.getTime() + BUCKET_MS) };
    expect(await activityTotals(day, 'auto')).toEqual(await activityTotals(day, 'raw'));
    expect((await activityTotals(day, 'auto')).inbound).toBe(1);
    expect(await funnelTotals(day, 'auto')).toEqual(await funnelTotals(day, 'raw'));
    expect((await funnelTotals(day, 'auto')).replied).toBe(1);
  }, 60_000);

  it('rebuilds owed quarter hours once they have ended, oldest first and a few hundred per run, the mark waiting for them', async () => {
    // A refresher that fell behind: our 10:00 quarter hour owed, its rollups not built yet, and 500
    // older quarter hours of other organizations owed before it.
    await history.message({ conversationId, direction: 'IN', at: at('2026-06-10T10:05:00Z'), text: 'hello' });
    await refresh(app);
    const tenOClock = at('2026-06-10T10:00:00Z');
    await sql(em(), 'delete from analytics_contact_activity where organization_id = ? and bucket = ?', [org.id, tenOClock]);
    await sql(em(), 'delete from analytics_pending_bucket');
    const others = Array.from({ length: 500 }, () => randomUUID());
    await sql(em(), `insert into analytics_pending_bucket (organization_id, bucket) select unnest(?::uuid[]), '2026-06-10T09:00:00Z'`, [`{${others.join(',')}}`]);
    await sql(em(), 'insert into analytics_pending_bucket (organization_id, bucket) values (?, ?)', [org.id, tenOClock]);
    await sql(em(), `update analytics_refresh_state set complete_before = '2026-06-10T00:00:00Z' where id = 1`);

    // A whole run, not one pass: it pays 500 and leaves the rest to the next run.
    await refresh(app);
    expect(await owed()).toEqual([[org.id, tenOClock.toISOString()]]);
    expect(await completeBefore()).toBe(tenOClock.toISOString());
    expect(await contactActivityRows(tenOClock)).toBe(0);
    const day = { from: at('2026-06-10T00:00:00Z'), to: at('2026-06-11T00:00:00Z') };
    expect(await activityTotals(day, 'auto')).toEqual(await activityTotals(day, 'raw'));

    await refresh(app);
    expect(await owed()).toEqual([]);
    expect(await completeBefore()).toBe(floorBucket(new Date()).toISOString());
    expect(await contactActivityRows(tenOClock)).toBe(1);
    expect(await activityTotals(day, 'auto')).toEqual(await activityTotals(day, 'raw'));
  }, 60_000);
});
