import type { EntityManager } from '../../../db/entity-manager';
import { sql } from '../../../db/sql';
import type { MemberScope } from '../../scope';
import { previousPeriod, type AnalyticsRange, type AnalyticsRangeInput } from '../analytics-range';
import { resolveFlowTarget } from './flow-analytics-target';
import { join, q, raw, type Fragment } from './sql-fragment';

/** One period's figures for the sessions of a flow started in it. Rates are 0..1 of sessions started, null without sessions. */
export interface FlowPeriodFigures {
  from: Date;
  to: Date;
  sessionsStarted: number;
  completed: number;
  handedOff: number;
  abandoned: number;
  /** Still running: waiting for the customer within the session's TTL. */
  active: number;
  completionRate: number | null;
  handoffRate: number | null;
  abandonmentRate: number | null;
  /** Over sessions that are over: from the start to the last activity. */
  medianDurationSeconds: number | null;
  p90DurationSeconds: number | null;
  messagesPerSession: number | null;
}

/** Current minus previous; null where either side is null. */
export interface FlowReportChange {
  sessionsStarted: number;
  completed: number;
  handedOff: number;
  abandoned: number;
  completionRate: number | null;
  handoffRate: number | null;
  abandonmentRate: number | null;
  medianDurationSeconds: number | null;
  p90DurationSeconds: number | null;
  messagesPerSession: number | null;
}

export interface FlowReportDay {
  /** The local date (YYYY-MM-DD) in the report's time zone. */
  date: string;
  sessionsStarted: number;
  completed: number;
  handedOff: number;
  abandoned: number;
}

export interface FlowReportResult extends FlowPeriodFigures {
  flowId: string;
  version: number | null;
  timeZone: string;
  channelId: string | null;
  previous: FlowPeriodFigures;
  change: FlowReportChange;
  days: FlowReportDay[];
}

interface Filter {
  organizationId: string;
  flowId: string;
  version: number | null;
  channelId: string | null;
}

/** Sessions of the flow started in [from, to), read through the covering report index (organization_id, flow_id, started_at). */
function sessionsStartedIn(filter: Filter, from: Date, to: Date): Fragment {
  const conditions = [q`organization_id = ${filter.organizationId} and flow_id = ${filter.flowId} and started_at >= ${from} and started_at < ${to}`];
  if (filter.version !== null) conditions.push(q`flow_version = ${filter.version}`);
  if (filter.channelId !== null) conditions.push(q`channel_id = ${filter.channelId}`);
  return join(conditions, ' and ');
}

/** An active session idle past its TTL is abandoned from that moment on, without waiting for a rebuild. */
const abandoned = (now: Date) => q`(outcome = 'abandoned' or (outcome = 'active' and expires_at <= ${now}))`;
const over = (now: Date) => q`(outcome <> 'active' or expires_at <= ${now})`;
const DURATION = raw('extract(epoch from last_activity_at - started_at)');

interface PeriodRow {
  started: number;
  completed: number;
  handed_off: number;
  abandoned: number;
  /** [median, p90] */
  durations: number[] | null;
  messages: number;
}

/** The aggregates of the rows `period` selects, as columns named `<prefix>started`, ... */
function periodColumns(prefix: string, period: Fragment, now: Date): Fragment {
  const name = (column: string) => raw(`${prefix}${column}`);
  return q`count(*) filter (where ${period})::int as ${name('started')},
    count(*) filter (where ${period} and outcome = 'completed')::int as ${name('completed')},
    count(*) filter (where ${period} and outcome = 'handed_off')::int as ${name('handed_off')},
    count(*) filter (where ${period} and ${abandoned(now)})::int as ${name('abandoned')},
    percentile_cont(array[0.5, 0.9]) within group (order by ${DURATION}) filter (where ${period} and ${over(now)}) as ${name('durations')},
    coalesce(sum(inbound_messages + outbound_messages) filter (where ${period}), 0)::int as ${name('messages')}`;
}

const rate = (count: number, total: number) => (total === 0 ? null : count / total);

function figures(row: PeriodRow, from: Date, to: Date): FlowPeriodFigures {
  const started = row.started;
  return {
    from,
    to,
    sessionsStarted: started,
    completed: row.completed,
    handedOff: row.handed_off,
    abandoned: row.abandoned,
    active: started - row.completed - row.handed_off - row.abandoned,
    completionRate: rate(row.completed, started),
    handoffRate: rate(row.handed_off, started),
    abandonmentRate: rate(row.abandoned, started),
    medianDurationSeconds: row.durations ? Number(row.durations[0]) : null,
    p90DurationSeconds: row.durations ? Number(row.durations[1]) : null,
    messagesPerSession: started === 0 ? null : row.messages / started,
  };
}

const unprefixed = (row: Record<string, unknown>, prefix: string) =>
  Object.fromEntries(Object.entries(row).filter(([key]) => key.startsWith(prefix)).map(([key, value]) => [key.slice(prefix.length), value])) as unknown as PeriodRow;

/** The range and the period of equal length before it, in one index-only scan of [previous.from, to). */
async function periodFigures(em: EntityManager, filter: Filter, range: { from: Date; to: Date }, now: Date) {
  const before = previousPeriod(range);
  const current = periodColumns('c_', q`started_at >= ${range.from}`, now);
  const previous = periodColumns('p_', q`started_at < ${range.from}`, now);
  const query = q`select ${current}, ${previous} from analytics_flow_session where ${sessionsStartedIn(filter, before.from, range.to)}`;
  const [row] = await sql<Record<string, unknown>>(em, query.text, [...query.params]);
  return { current: figures(unprefixed(row!, 'c_'), range.from, range.to), previous: figures(unprefixed(row!, 'p_'), before.from, before.to) };
}

/** Every local day the range touches, with zeros where nothing started. */
async function dailyFigures(em: EntityManager, filter: Filter, range: AnalyticsRange, now: Date): Promise<FlowReportDay[]> {
  const { from, to, timeZone } = range;
  const query = q`with days as (
       select generate_series((${from}::timestamptz at time zone ${timeZone})::date,
                              ((${to}::timestamptz - interval '1 microsecond') at time zone ${timeZone})::date, interval '1 day')::date as day
     ), counted as (
       select (started_at at time zone ${timeZone})::date as day,
              count(*)::int as started,
              count(*) filter (where outcome = 'completed')::int as completed,
              count(*) filter (where outcome = 'handed_off')::int as handed_off,
              count(*) filter (where ${abandoned(now)})::int as abandoned
         from analytics_flow_session where ${sessionsStartedIn(filter, from, to)}
        group by 1
     )
     select to_char(days.day, 'YYYY-MM-DD') as date, coalesce(started, 0) as started, coalesce(completed, 0) as completed,
            coalesce(handed_off, 0) as handed_off, coalesce(abandoned, 0) as abandoned
       from days left join counted using (day) order by days.day`;
  const rows = await sql<{ date: string; started: number; completed: number; handed_off: number; abandoned: number }>(em, query.text, [...query.params]);
  return rows.map((row) => ({ date: row.date, sessionsStarted: row.started, completed: row.completed, handedOff: row.handed_off, abandoned: row.abandoned }));
}

const difference = (current: number | null, previous: number | null) => (current === null || previous === null ? null : current - previous);

function change(current: FlowPeriodFigures, previous: FlowPeriodFigures): FlowReportChange {
  return {
    sessionsStarted: current.sessionsStarted - previous.sessionsStarted,
    completed: current.completed - previous.completed,
    handedOff: current.handedOff - previous.handedOff,
    abandoned: current.abandoned - previous.abandoned,
    completionRate: difference(current.completionRate, previous.completionRate),
    handoffRate: difference(current.handoffRate, previous.handoffRate),
    abandonmentRate: difference(current.abandonmentRate, previous.abandonmentRate),
    medianDurationSeconds: difference(current.medianDurationSeconds, previous.medianDurationSeconds),
    p90DurationSeconds: difference(current.p90DurationSeconds, previous.p90DurationSeconds),
    messagesPerSession: difference(current.messagesPerSession, previous.messagesPerSession),
  };
}

/** The report for a checked range; `now` decides which idle sessions have lapsed. */
export async function flowReportFor(em: EntityManager, range: AnalyticsRange, flowId: string, version: number | null, now = new Date()): Promise<FlowReportResult> {
  const filter: Filter = { organizationId: range.organizationId, flowId, version, channelId: range.channelId };
  const { current, previous } = await periodFigures(em, filter, range, now);
  const days = await dailyFigures(em, filter, range, now);
  return { ...current, flowId, version, timeZone: range.timeZone, channelId: range.channelId, previous, change: change(current, previous), days };
}

/** flowReport: sessions of a flow (or one version) started in the range, against the period of equal length before it. */
export async function flowReport(scope: MemberScope, flowId: string, version: number | null | undefined, rangeInput: AnalyticsRangeInput): Promise<FlowReportResult> {
  const target = await resolveFlowTarget(scope, flowId, version, rangeInput);
  return flowReportFor(scope.em, target.range, target.flowId, target.version);
}
