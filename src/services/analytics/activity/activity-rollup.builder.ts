import type { EntityManager } from '../../../db/entity-manager';
import { sql } from '../../../db/sql';
import type { BucketRollupBuilder } from '../rollup-builder';
import { mergeOrganizationBuckets, type OrganizationBuckets } from '../organization-buckets';
import { rebuildActivityCounts } from './activity-counts.rollup';
import { bucketsAfter, rebuildContactActivity, rebuildTimelines } from './contact-activity.rollup';

/**
 * The activity rollups of some quarter hours, in dependency order: each contact's rows, then the
 * timelines of the contacts whose rows changed, then the per-channel counts of these quarter hours
 * and of the later ones whose gaps a contact appearing or vanishing here changed (a late message
 * in an old quarter hour shortens the gap of the contact's next one).
 */
async function rebuildBuckets(em: EntityManager, work: OrganizationBuckets[]): Promise<void> {
  const given = mergeOrganizationBuckets(work);
  if (!given.length) return;
  await withoutJit(em, async () => {
    const { changedContacts, presenceChanges } = await rebuildContactActivity(em, given);
    await rebuildTimelines(em, changedContacts);
    await rebuildActivityCounts(em, mergeOrganizationBuckets(given, await bucketsAfter(em, presenceChanges)));
  });
}

/**
 * Not knowing how few rows unnest() yields, the planner prices these statements high enough for
 * JIT compilation, which then costs more (hundreds of ms) than the statements themselves. Turned
 * off for the caller's transaction while we run, then put back as it was.
 */
async function withoutJit(em: EntityManager, work: () => Promise<void>): Promise<void> {
  const [previous] = await sql<{ jit: string }>(em, "select current_setting('jit') as jit, set_config('jit', 'off', true)");
  await work();
  // No finally: after a failure the transaction is aborted, and its rollback restores the setting.
  await sql(em, "select set_config('jit', ?, true)", [previous!.jit]);
}

export const activityRollupBuilder: BucketRollupBuilder = {
  kind: 'bucket',
  name: 'activity',
  rebuildBuckets,
};
