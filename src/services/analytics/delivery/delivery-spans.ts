import type { Interval } from '../analytics-range';

/**
 * The time spans delivery rollups are kept at, finest first, in minutes: quarter hours (the
 * refresher's unit), days, 8-day and 64-day blocks, all aligned to the Unix epoch (UTC). Below a
 * day the rows are nearly as many as the messages (few per template and flow node in a quarter
 * hour); each coarser span folds its rows again, so a 60-day report reads a few dozen spans'
 * rows instead of thousands. Every span's rows are the sums of the finer span's rows inside it.
 */
export const SPAN_MINUTES = [15, 1440, 11_520, 92_160] as const;
export type SpanMinutes = (typeof SPAN_MINUTES)[number];

const ms = (span: SpanMinutes) => span * 60_000;
export const floorToSpan = (at: Date, span: SpanMinutes) => new Date(Math.floor(at.getTime() / ms(span)) * ms(span));
export const ceilToSpan = (at: Date, span: SpanMinutes) => new Date(Math.ceil(at.getTime() / ms(span)) * ms(span));

export interface SpanCover extends Interval {
  span: SpanMinutes;
}

/**
 * The fewest whole spans that tile [from, to) (both on quarter-hour boundaries): the coarsest
 * spans in the middle, finer ones towards the ragged ends.
 */
export function coverWithSpans(from: Date, to: Date, spans: readonly SpanMinutes[] = [...SPAN_MINUTES].reverse()): SpanCover[] {
  if (from.getTime() >= to.getTime() || !spans.length) return [];
  const [span, ...finer] = spans as [SpanMinutes, ...SpanMinutes[]];
  const start = ceilToSpan(from, span);
  const end = floorToSpan(to, span);
  if (start.getTime() >= end.getTime()) return coverWithSpans(from, to, finer);
  return [...coverWithSpans(from, start, finer), { span, from: start, to: end }, ...coverWithSpans(end, to, finer)];
}

/** Sorted, distinct starts of `span`-long periods, merged where they touch: [10:00, 10:15, 11:00] -> [10:00, 10:30), [11:00, 11:15). */
export function mergeSpans(starts: Date[], span: SpanMinutes): Interval[] {
  const merged: Interval[] = [];
  for (const start of starts) {
    const last = merged.at(-1);
    if (last && last.to.getTime() === start.getTime()) last.to = new Date(start.getTime() + ms(span));
    else merged.push({ from: start, to: new Date(start.getTime() + ms(span)) });
  }
  return merged;
}

export const distinctTimes = (times: Date[]) =>
  [...new Set(times.map((time) => time.getTime()))].sort((a, b) => a - b).map((time) => new Date(time));

/**
 * SQL for "`column` lies in one of the intervals" ([from, to) each), with the bounds bound as
 * values. The planner then estimates each range from its statistics: a join on unnest() of the
 * bounds looked a thousand times bigger than it was and paid a second of JIT compilation.
 * An empty list matches nothing.
 */
export function withinSql(column: string, intervals: Interval[]): { text: string; params: Date[] } {
  if (!intervals.length) return { text: 'false', params: [] };
  return {
    text: `(${intervals.map(() => `(${column} >= ? and ${column} < ?)`).join(' or ')})`,
    params: intervals.flatMap((interval) => [interval.from, interval.to]),
  };
}
