import type { EntityManager } from '../../../db/entity-manager';
import { rollupsCompleteBefore, splitRange, type AnalyticsRange, type Interval } from '../analytics-range';

/**
 * Where a report reads from. `auto` (the default): rollups for whole quarter hours the refresher
 * has completed, raw rows for the ragged edges and the current partial period. `raw`: raw rows
 * only, slow on volume; it exists so tests can check that both give the same answers.
 */
export type ReportSource = 'auto' | 'raw';

export interface ReportOptions {
  /** Default `auto`. */
  source?: ReportSource;
}

export interface ReportParts {
  /** Whole quarter hours answered by the rollups, or null. */
  rollup: Interval | null;
  /** Intervals answered by raw rows (0 to 2 of them). */
  raw: Interval[];
}

export async function reportParts(em: EntityManager, range: AnalyticsRange, options: ReportOptions = {}): Promise<ReportParts> {
  if (options.source === 'raw') return { rollup: null, raw: [{ from: range.from, to: range.to }] };
  return splitRange(range.from, range.to, await rollupsCompleteBefore(em));
}

/**
 * `(col >= ? and col < ?) or ...` over the raw intervals, with its parameters; `false` when there
 * are none, so a raw branch costs nothing when the rollups answer everything.
 */
export function inIntervals(column: string, intervals: Interval[]): { text: string; params: Date[] } {
  if (!intervals.length) return { text: 'false', params: [] };
  return {
    text: `(${intervals.map(() => `(${column} >= ? and ${column} < ?)`).join(' or ')})`,
    params: intervals.flatMap((interval) => [interval.from, interval.to]),
  };
}
