import type { EntityManager } from '../../../db/entity-manager';
import { sql } from '../../../db/sql';
import type { AnalyticsRange } from '../analytics-range';
import { arrayLiteral } from '../../../db/pg-array';
import type { BusinessClock } from './business-hours';

/** One group of episodes: an agent's (agent_id set), the unattributed ones (agent_id null), or all (is_total). */
export interface EpisodeGroupRow {
  agent_id: string | null;
  is_total: boolean;
  episodes: number;
  /** Distinct conversations per (agent, conversation): right for an agent's row. */
  agent_conversations: number;
  /** Distinct conversations with any agent: right for the total row. */
  attributed_conversations: number;
  messages: number;
  own_messages: number;
  answered: number;
  resolved: number;
  frt_median: number | null;
  frt_p90: number | null;
  rt_median: number | null;
  rt_p90: number | null;
}

/**
 * The aggregates of one group; `rangeStart` binds the range's start. A conversation counts once per
 * agent (and once overall) through its first episode in the range: the one whose previous
 * episode with that agent (with any agent) began before the range, stored by the builder.
 */
const aggregates = (firstResponse: string, resolution: string, rangeStart: () => string) => `
  count(*)::int as episodes,
  count(*) filter (where agent_id is not null and (previous_same_agent_at is null or previous_same_agent_at < ${rangeStart()}))::int as agent_conversations,
  count(*) filter (where agent_id is not null and (previous_attributed_at is null or previous_attributed_at < ${rangeStart()}))::int as attributed_conversations,
  coalesce(sum(agent_messages), 0)::int as messages,
  coalesce(sum(agent_own_messages), 0)::int as own_messages,
  count(first_response_at)::int as answered,
  count(resolved_at)::int as resolved,
  percentile_cont(0.5) within group (order by ${firstResponse}) as frt_median,
  percentile_cont(0.9) within group (order by ${firstResponse}) as frt_p90,
  percentile_cont(0.5) within group (order by ${resolution}) as rt_median,
  percentile_cont(0.9) within group (order by ${resolution}) as rt_p90,
  grouping(agent_id) = 1 as is_total`;

/** Episodes that began in the range (and on the channel, if one is given): the index range of the report index. */
function episodeFilter(range: AnalyticsRange, alias: string): { where: string; params: unknown[] } {
  const params: unknown[] = [range.organizationId, range.from, range.to];
  let where = `${alias}.organization_id = ? and ${alias}.waiting_since >= ? and ${alias}.waiting_since < ?`;
  if (range.channelId) {
    where += ` and ${alias}.channel_id = ?`;
    params.push(range.channelId);
  }
  return { where, params };
}

/** Per agent and in total (GROUPING SETS: one scan), with the stored wall-clock durations. */
export async function episodeGroups(em: EntityManager, range: AnalyticsRange): Promise<EpisodeGroupRow[]> {
  const filter = episodeFilter(range, 'x');
  return sql<EpisodeGroupRow>(
    em,
    `select agent_id, ${aggregates('first_response_seconds', 'resolution_seconds', () => '?')}
       from analytics_agent_episode x
      where ${filter.where}
      group by grouping sets ((agent_id), ())`,
    [range.from, range.from, ...filter.params],
  );
}

/** Values bound in the order their `?` appear in the text being built. */
class Bindings {
  readonly values: unknown[] = [];

  bind(value: unknown, cast: string): string {
    this.values.push(value);
    return `?::${cast}`;
  }
}

/**
 * The business clock (business-hours.ts, businessClockAt) of a local wall time, in SQL: `epoch`
 * its seconds since 1970-01-01 local, `day` floor(epoch / 86400), `weekday` 1 (Monday) to 7.
 */
function clockOf(epoch: string, day: string, weekday: string, clock: BusinessClock, b: Bindings): string {
  const span = clock.endSecond - clock.startSecond;
  return `(floor((${day} + 3) / 7) * ${b.bind(clock.weekSeconds, 'float8')} + (${b.bind(arrayLiteral(clock.dayOffsets), 'float8[]')})[${weekday}]
    + (${b.bind(arrayLiteral(clock.dayOpen), 'float8[]')})[${weekday}] * least(greatest(${epoch} - ${day} * 86400 - ${b.bind(clock.startSecond, 'float8')}, 0), ${b.bind(span, 'float8')}))`;
}

/**
 * As episodeGroups, but a duration counts only the time inside business hours: the difference of
 * two business-clock readings of local wall times, all arithmetic (no per-day expansion).
 * Each stage is its own subquery (OFFSET 0 keeps the planner from inlining it), so a value is
 * computed once per row rather than once per use; ORDER BY agent_id lets the innermost read the
 * report index in agent order, so the grouping needs no sort (as in episodeGroups).
 * date_part, not extract: extract returns numeric, whose arithmetic was 4x slower here.
 */
export async function episodeGroupsInBusinessHours(em: EntityManager, range: AnalyticsRange, clock: BusinessClock): Promise<EpisodeGroupRow[]> {
  // Pieces are built in the order they appear in the text, so the bindings line up with the `?`s.
  const b = new Bindings();
  // Rounded to the millisecond: the float arithmetic on epoch seconds leaves noise in the last digits.
  const groupAggregates = aggregates('round((answered_clock - waiting_clock) * 1000) / 1000', 'round((resolved_clock - waiting_clock) * 1000) / 1000', () =>
    b.bind(range.from, 'timestamptz'),
  );
  const clocks = (['waiting', 'answered', 'resolved'] as const).map(
    (name) => `${clockOf(`${name}_epoch`, `${name}_day`, `((${name}_day::int + 3) % 7 + 1)`, clock, b)} as ${name}_clock`,
  );
  const local = (column: string) => `date_part('epoch', x.${column} at time zone ${b.bind(clock.timeZone, 'text')})`;
  const epochs = `${local('waiting_since')} as waiting_epoch, ${local('first_response_at')} as answered_epoch, ${local('resolved_at')} as resolved_epoch`;
  const filter = episodeFilter(range, 'x');
  b.values.push(...filter.params);
  const text = `
    select agent_id, ${groupAggregates}
      from (
        select days.*, ${clocks.join(', ')}
          from (
            select epochs.*, floor(waiting_epoch / 86400) as waiting_day, floor(answered_epoch / 86400) as answered_day,
                   floor(resolved_epoch / 86400) as resolved_day
              from (
                select x.agent_id, x.agent_messages, x.agent_own_messages, x.first_response_at, x.resolved_at,
                       x.previous_same_agent_at, x.previous_attributed_at, ${epochs}
                  from analytics_agent_episode x
                 where ${filter.where}
                 order by x.agent_id, x.waiting_since
                offset 0
              ) epochs
            order by agent_id
            offset 0
          ) days
      ) clocked
     group by grouping sets ((agent_id), ())`;
  return em.transactional(async (tx) => {
    // Over a Gather Merge the planner misjudges the rows of the stages above and prefers a
    // parallel seq scan plus sort; serially, the report index gives agent order for free and
    // EXPLAIN ANALYZE (60,000 episodes) ran in about half the time.
    await sql(tx, 'set local max_parallel_workers_per_gather = 0');
    return sql<EpisodeGroupRow>(tx, text, b.values);
  });
}

/** Messages members wrote in episodes attributed to someone else, that began in the range. */
export async function helperMessages(em: EntityManager, range: AnalyticsRange): Promise<Map<string, number>> {
  const filter = episodeFilter(range, 'h');
  const rows = await sql<{ user_id: string; messages: number }>(
    em,
    `select h.user_id, sum(h.messages)::int as messages from analytics_agent_episode_helper h where ${filter.where} group by h.user_id`,
    filter.params,
  );
  return new Map(rows.map((row) => [row.user_id, Number(row.messages)]));
}

/** Name and email of the organization's members among `ids` (ids of other organizations are not found). */
export async function membersById(em: EntityManager, organizationId: string, ids: string[]): Promise<Map<string, { name: string; email: string }>> {
  if (!ids.length) return new Map();
  const rows = await sql<{ id: string; name: string; email: string }>(
    em,
    'select id, name, email from "user" where organization_id = ? and id = any(?::uuid[])',
    [organizationId, arrayLiteral(ids)],
  );
  return new Map(rows.map((row) => [row.id, { name: row.name, email: row.email }]));
}
