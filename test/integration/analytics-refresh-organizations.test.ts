import { systemEm, tenantEm } from '../../src/db/entity-manager';
import { sql } from '../../src/db/sql';
import { Role } from '../../src/domain/role';
import { dailyActivity } from '../../src/services/analytics/activity/daily-activity.service';
import { rebuildBuckets } from '../../src/services/analytics/analytics-refresh.service';
import { DeliveryGrouping } from '../../src/services/analytics/delivery/delivery-grouping';
import { deliveryFunnel } from '../../src/services/analytics/delivery/delivery-funnel.service';
import type { OrganizationBuckets } from '../../src/services/analytics/organization-buckets';
import type { RollupBuilder } from '../../src/services/analytics/rollup-builder';
import { ROLLUP_BUILDERS } from '../../src/services/analytics/rollup-registry';
import type { MemberScope } from '../../src/services/scope';
import { at, createTestChannel, History, plusSeconds, refresh } from '../helpers/analytics-history';
import { createOrganization, type TestOrganization } from '../helpers/fixtures';
import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * The bucket rollups of many organizations rebuilt in one call (what a refresher pass does with
 * every organization it touched): each organization's figures come out as its raw rows give them,
 * in the same quarter hours as the others', with one call per builder whatever their number.
 *
 * Organization k (0, 1, 2) on 2026-05-04 UTC: k + 1 inbound messages at 10:00, 10:01...; one
 * reply of ours at 10:20, delivered, and for k = 1 read too; for k = 2 one more inbound message at
 * 10:25 (the customer answers) and a failed message at 11:00. Every organization's contact is new.
 */
const DAY = { from: at('2026-05-04T00:00:00Z'), to: at('2026-05-05T00:00:00Z') };
const ACTIVITY_TABLES = ['analytics_activity', 'analytics_contact_activity', 'analytics_contact_timeline', 'analytics_contact_channel_timeline'];
const DELIVERY_TABLES = ['analytics_delivery', 'analytics_delivery_failure'];

describe('analytics: one rebuild for many organizations', () => {
  let app: TestApp;
  const orgs: { org: TestOrganization; channelId: string }[] = [];

  const scope = (organizationId: string): MemberScope => ({
    em: tenantEm(app.orm, organizationId),
    viewer: { kind: 'member', organizationId, role: Role.OWNER, userId: null, apiKeyId: null, sessionId: null },
  });
  const activity = (organizationId: string, source: 'auto' | 'raw') =>
    dailyActivity(scope(organizationId), { ...DAY, timeZone: 'UTC', channelId: null } as never, { source });
  const funnel = (organizationId: string, source: 'auto' | 'raw') =>
    deliveryFunnel(
      tenantEm(app.orm, organizationId),
      { organizationId, ...DAY, timeZone: 'UTC', channelId: null },
      { by: DeliveryGrouping.CHANNEL, flowId: null, flowVersion: null, templateId: null },
      { source },
    );

  /** Deletes the organizations' rollup rows, so only a rebuild can bring them back. */
  async function wipeRollups() {
    for (const table of [...ACTIVITY_TABLES, ...DELIVERY_TABLES]) {
      await sql(systemEm(app.orm), `delete from ${table} where organization_id in (?)`, [orgs.map(({ org }) => org.id)]);
    }
  }

  /** The registered builders, counting their calls and the organizations each call got. */
  function countingBuilders() {
    const calls: { builder: string; organizations: number }[] = [];
    const builders = ROLLUP_BUILDERS.map((builder): RollupBuilder =>
      builder.kind === 'bucket'
        ? {
            ...builder,
            rebuildBuckets: async (em, work) => {
              calls.push({ builder: builder.name, organizations: work.length });
              await builder.rebuildBuckets(em, work);
            },
          }
        : builder,
    );
    return { builders, calls };
  }

  beforeAll(async () => {
    app = await startTestApp();
    for (let k = 0; k < 3; k++) {
      const org = await createOrganization(app, `Refresh ${k}`);
      const channelId = await createTestChannel(app, org.ownerKey);
      orgs.push({ org, channelId });
      const history = new History(app, org.id);
      const contactId = await history.contact({ name: `C${k}`, firstSeenAt: at('2026-05-04T10:00:00Z') });
      const conversationId = await history.conversation({ channelId, contactId, openedAt: at('2026-05-04T10:00:00Z') });
      for (let i = 0; i <= k; i++) await history.message({ conversationId, direction: 'IN', at: plusSeconds(at('2026-05-04T10:00:00Z'), 60 * i) });
      const replyAt = at('2026-05-04T10:20:00Z');
      await history.message({
        conversationId,
        direction: 'OUT',
        at: replyAt,
        sentAt: plusSeconds(replyAt, 1),
        deliveredAt: plusSeconds(replyAt, 2),
        readAt: k === 1 ? plusSeconds(replyAt, 3) : null,
      });
      if (k === 2) {
        await history.message({ conversationId, direction: 'IN', at: at('2026-05-04T10:25:00Z') });
        await history.message({ conversationId, direction: 'OUT', at: at('2026-05-04T11:00:00Z'), failedAt: at('2026-05-04T11:00:05Z'), errorCode: '131026', errorTitle: 'Message undeliverable' });
      }
    }
    // The refresher has run past these days, so reports read them from the rollups.
    await refresh(app);
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('rebuilds every organization in one call per builder, each with its own figures', async () => {
    await wipeRollups();
    expect((await activity(orgs[0]!.org.id, 'auto')).totals.inbound).toBe(0);

    const { builders, calls } = countingBuilders();
    const work: OrganizationBuckets[] = orgs.map(({ org }) => ({ organizationId: org.id, buckets: [at('2026-05-04T10:00:00Z'), at('2026-05-04T10:15:00Z'), at('2026-05-04T11:00:00Z')] }));
    await systemEm(app.orm).transactional((tx) => rebuildBuckets(tx, work, builders));
    expect(calls).toEqual([
      { builder: 'activity', organizations: 3 },
      { builder: 'delivery', organizations: 3 },
    ]);

    const totals = await Promise.all(orgs.map(async ({ org }) => (await activity(org.id, 'auto')).totals));
    expect(totals.map((row) => [row.inbound, row.outbound, row.activeContacts, row.newContacts, row.conversationsOpened])).toEqual([
      [1, 1, 1, 1, 1],
      [2, 1, 1, 1, 1],
      [4, 2, 1, 1, 1],
    ]);
    const figures = await Promise.all(orgs.map(async ({ org }) => (await funnel(org.id, 'auto')).totals));
    expect(figures.map((row) => [row.queued, row.sent, row.delivered, row.read, row.replied, row.failed])).toEqual([
      [1, 1, 1, 0, 0, 0],
      [1, 1, 1, 1, 0, 0],
      [2, 1, 1, 0, 1, 1],
    ]);
    for (const { org } of orgs) {
      expect(await activity(org.id, 'auto')).toEqual(await activity(org.id, 'raw'));
      expect(await funnel(org.id, 'auto')).toEqual(await funnel(org.id, 'raw'));
    }
  });

  it('counts a bucket named twice, or by two entries of one organization, once', async () => {
    await wipeRollups();
    const [first, second] = orgs;
    const work: OrganizationBuckets[] = [
      { organizationId: first!.org.id, buckets: [at('2026-05-04T10:00:00Z'), at('2026-05-04T10:00:00Z')] },
      { organizationId: second!.org.id, buckets: [] },
      { organizationId: first!.org.id, buckets: [at('2026-05-04T10:00:00Z'), at('2026-05-04T10:15:00Z')] },
    ];
    await systemEm(app.orm).transactional((tx) => rebuildBuckets(tx, work));
    expect(await activity(first!.org.id, 'auto')).toEqual(await activity(first!.org.id, 'raw'));
    expect(await funnel(first!.org.id, 'auto')).toEqual(await funnel(first!.org.id, 'raw'));
    // An organization given no buckets is left alone: its rows stay deleted.
    expect((await activity(second!.org.id, 'auto')).totals.inbound).toBe(0);
  });

  it('does nothing for no work', async () => {
    const { builders, calls } = countingBuilders();
    await systemEm(app.orm).transactional((tx) => rebuildBuckets(tx, [], builders));
    expect(calls).toEqual([]);
  });
});
