import type { Client } from 'pg';
import { systemEm } from '../../src/db/entity-manager';
import type { Orm } from '../../src/db/orm';
import { floorBucket } from '../../src/services/analytics/analytics-range';
import { rebuildRange, refreshAnalytics } from '../../src/services/analytics/analytics-refresh.service';
import type { HistoryWindow } from './history-generator';
import { timedBuilders } from './timed-builders';

const DAY_MS = 86_400_000;

export interface RollupBuild {
  /** rebuildRange over the history up to the last day (null when everything went through the refresher). */
  rebuild: { ms: number; conversations: number; buckets: number } | null;
  /** refreshAnalytics over the events after that (or over the whole log). */
  refresh: { ms: number; events: number; conversations: number; buckets: number; passes: number };
  /** Time spent in each builder, over both steps. */
  spent: Map<string, number>;
}

async function behind(db: Client): Promise<boolean> {
  const { rows } = await db.query<{ behind: boolean }>(`select last_seq < (select coalesce(max(seq), 0) from conversation_event) as behind from analytics_refresh_state`);
  return rows[0]!.behind;
}

/** The repeatable job's work, called until the refresher has applied every event. */
async function refreshUntilCaughtUp(orm: Orm, db: Client, builders: ReturnType<typeof timedBuilders>['builders'], onProgress: (events: number) => void) {
  const started = performance.now();
  const total = { events: 0, conversations: 0, buckets: 0, passes: 0 };
  for (;;) {
    const result = await refreshAnalytics(systemEm(orm), { maxPasses: 10, builders });
    total.events += result.events;
    total.conversations += result.conversations;
    total.buckets += result.buckets;
    total.passes += 1;
    if (!result.ran || !(await behind(db))) break;
    onProgress(total.events);
  }
  return { ms: performance.now() - started, ...total };
}

/**
 * How an organization with this history gets its rollups: `rebuildAnalytics` (rebuildRange) for
 * everything before the last day, then the refresher (refreshAnalytics) for the last day's events,
 * as it would pick them up incrementally. The second figure is the refresher's throughput on
 * realistic increments. With `wholeLogByRefresher`, the refresher alone works off the whole log.
 */
export async function buildRollups(orm: Orm, db: Client, organizationIds: string[], window: HistoryWindow, wholeLogByRefresher: boolean, onProgress: (events: number) => void): Promise<RollupBuild> {
  const { builders, spent } = timedBuilders();
  if (wholeLogByRefresher) return { rebuild: null, refresh: await refreshUntilCaughtUp(orm, db, builders, onProgress), spent };

  const boundary = floorBucket(new Date(window.now - DAY_MS));
  const started = performance.now();
  let conversations = 0;
  let buckets = 0;
  for (const organizationId of organizationIds) {
    const result = await rebuildRange(systemEm(orm), organizationId, new Date(window.start - DAY_MS), boundary, async () => {}, builders);
    conversations += result.conversations;
    buckets += result.buckets;
  }
  const rebuild = { ms: performance.now() - started, conversations, buckets };
  // The refresher resumes at the boundary, as if it had been running all along.
  await db.query(
    `update analytics_refresh_state
        set last_seq = (select coalesce(max(seq), 0) from conversation_event where created_at < $1), complete_before = $1, updated_at = now()`,
    [boundary],
  );
  return { rebuild, refresh: await refreshUntilCaughtUp(orm, db, builders, onProgress), spent };
}
