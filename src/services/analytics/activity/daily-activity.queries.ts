import type { EntityManager } from '../../../db/entity-manager';
import { sql } from '../../../db/sql';
import type { AnalyticsRange } from '../analytics-range';
import { CLOSED_EVENT, LIFECYCLE_EVENT, OPENED_EVENT } from './activity-sql';
import { inIntervals, type ReportParts } from './report-parts';

export interface DayRow {
  day: string;
  starts_at: Date | string;
}

/** Every local date the range touches, with the instant its day starts. */
export function rangeDays(em: EntityManager, range: AnalyticsRange) {
  return sql<DayRow>(
    em,
    `select d::date::text as day, (d::date::timestamp at time zone ?) as starts_at
       from generate_series((?::timestamptz at time zone ?)::date, ((?::timestamptz - interval '1 microsecond') at time zone ?)::date, interval '1 day') d
      order by 1`,
    [range.timeZone, range.from, range.timeZone, range.to, range.timeZone],
  );
}

export interface HourRow {
  day: string;
  hour: number;
  inbound: number;
  outbound: number;
  opened: number;
  closed: number;
  /** Contacts whose first message of the day (within the range) falls in this hour. */
  day_contacts: number;
  /** Contacts whose first message of the range falls in this hour. */
  range_contacts: number;
  new_contacts: number;
}

/**
 * Everything per local (day, hour) in one pass: rollup rows for the whole quarter hours, raw
 * messages and conversation events for the rest. Contacts come from the rollups only (rawContacts
 * adds the raw parts'): a contact's row counts when its previous quarter hour with a message is
 * before the window's start (the day's or the rollup part's start, whichever is later), that is
 * when its gap exceeds the quarter hours elapsed since then.
 */
export function countsByHour(em: EntityManager, range: AnalyticsRange, parts: ReportParts) {
  const { organizationId, timeZone, channelId } = range;
  const channel = (column: string) => (channelId ? `and ${column} = ?` : '');
  const channelParam = channelId ? [channelId] : [];
  const [fresh, gaps] = channelId ? ['a.new_contacts', 'a.contact_gaps'] : ['a.any_new_contacts', 'a.any_contact_gaps'];
  const messages = inIntervals('m.created_at', parts.raw);
  const events = inIntervals('e.created_at', parts.raw);
  const rollup = parts.rollup ?? { from: range.from, to: range.from };
  return sql<HourRow>(
    em,
    `select local::date::text as day, extract(hour from local)::int as hour,
            sum(inbound)::int as inbound, sum(outbound)::int as outbound, sum(opened)::int as opened, sum(closed)::int as closed,
            sum(fresh + cardinality(gaps) - width_bucket((extract(epoch from t - greatest(local::date::timestamp at time zone ?, ?::timestamptz)) / 900)::int, gaps))::int
              as day_contacts,
            sum(fresh + cardinality(gaps) - width_bucket((extract(epoch from t - ?::timestamptz) / 900)::int, gaps))::int as range_contacts,
            sum(fresh)::int as new_contacts
       from (
         -- offset 0: each row's local time is computed once, not once per use above.
         select t, t at time zone ? as local, inbound, outbound, opened, closed, fresh, gaps
           from (
             select a.bucket as t, a.inbound, a.outbound, a.conversations_opened as opened, a.conversations_closed as closed,
                    ${fresh} as fresh, ${gaps} as gaps
               from analytics_activity a
              where a.organization_id = ? and a.bucket >= ? and a.bucket < ? ${channel('a.channel_id')}
             union all
             select m.created_at, (m.direction = 'IN')::int, (m.direction = 'OUT')::int, 0, 0, 0, '{}'::int[]
               from message m
              where m.organization_id = ? and ${messages.text} ${channel('m.channel_id')}
             union all
             select e.created_at, 0, 0, (${OPENED_EVENT('e')})::int, (${CLOSED_EVENT('e')})::int, 0, '{}'::int[]
               from conversation_event e join conversation c on c.id = e.conversation_id
              where ${LIFECYCLE_EVENT('e')} and e.organization_id = ? and ${events.text} ${channel('c.channel_id')}
           ) counted
         offset 0
       ) located
      group by 1, 2`,
    [
      timeZone, rollup.from, rollup.from, timeZone,
      organizationId, rollup.from, rollup.to, ...channelParam,
      organizationId, ...messages.params, ...channelParam,
      organizationId, ...events.params, ...channelParam,
    ],
  );
}

export interface ContactRow {
  /** Null on the row for the whole range. */
  day: string | null;
  active: number;
  new: number;
}

/**
 * The contacts who wrote in the raw parts, per local day and over the range: counted as active
 * when the rollup part of the same window has no row of theirs (it counted them already), and as
 * new when they never wrote (on the channel, if one is given) before their first message here.
 */
export function rawContacts(em: EntityManager, range: AnalyticsRange, parts: ReportParts) {
  const { organizationId, timeZone, channelId } = range;
  const rollup = parts.rollup ?? { from: range.from, to: range.from };
  const written = inIntervals('m.created_at', parts.raw);
  const channelParam = channelId ? [channelId] : [];
  return sql<ContactRow>(
    em,
    `with firsts as (
       select contact_id, day, min(at) as first_at, grouping(day) = 1 as whole_range
         from (select c.contact_id, m.created_at as at, (m.created_at at time zone ?)::date as day
                 from message m join conversation c on c.id = m.conversation_id
                where m.organization_id = ? and m.direction = 'IN' and ${written.text} ${channelId ? 'and m.channel_id = ?' : ''}) raw
        group by grouping sets ((contact_id, day), (contact_id))
     )
     select case when f.whole_range then null else f.day::text end as day,
            count(*) filter (where not exists (
              select 1 from analytics_contact_activity r
               where r.organization_id = ? and r.contact_id = f.contact_id ${channelId ? 'and r.channel_id = ?' : ''}
                 and r.bucket >= case when f.whole_range then ?::timestamptz else greatest(?::timestamptz, f.day::timestamp at time zone ?) end
                 and r.bucket < case when f.whole_range then ?::timestamptz else least(?::timestamptz, (f.day + 1)::timestamp at time zone ?) end
            ))::int as active,
            count(*) filter (where not exists (
              select 1 from conversation c join message m on m.conversation_id = c.id
               where c.organization_id = ? and c.contact_id = f.contact_id ${channelId ? 'and c.channel_id = ?' : ''}
                 and m.direction = 'IN' and m.created_at < f.first_at
            ))::int as new
       from firsts f
      group by f.whole_range, f.day`,
    [
      timeZone, organizationId, ...written.params, ...channelParam,
      organizationId, ...channelParam, rollup.from, rollup.from, timeZone, rollup.to, rollup.to, timeZone,
      organizationId, ...channelParam,
    ],
  );
}
