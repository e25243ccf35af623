import type { AnalyticsRange } from '../analytics-range';
import { inIntervals, type ReportParts } from './report-parts';

/**
 * SQL yielding `(contact_id, messages, last_at)`: each contact's inbound messages in the range and
 * the time of its last one, for contacts with at least one. Timelines answer the rollup part with
 * two binary searches per contact; raw messages answer the rest, merged per contact.
 */
export function contactMessagesSql(range: AnalyticsRange, parts: ReportParts): { text: string; params: unknown[] } {
  const { organizationId, channelId } = range;
  const branches: { text: string; params: unknown[] }[] = [];
  if (parts.rollup) {
    branches.push({
      text: `select contact_id, message_totals[through] - coalesce(message_totals[before], 0) as messages, message_times[through] as last_at
               from (select contact_id, message_totals, message_times,
                            width_bucket((select ?::timestamptz - interval '1 microsecond'), message_times) as through,
                            width_bucket((select ?::timestamptz - interval '1 microsecond'), message_times) as before
                       from ${channelId ? 'analytics_contact_channel_timeline' : 'analytics_contact_timeline'}
                      where organization_id = ? ${channelId ? 'and channel_id = ?' : ''} and last_message_at >= ?
                     offset 0) timeline
              where through > before`,
      params: [parts.rollup.to, parts.rollup.from, organizationId, ...(channelId ? [channelId] : []), parts.rollup.from],
    });
  }
  if (parts.raw.length) {
    const written = inIntervals('m.created_at', parts.raw);
    branches.push({
      text: `select c.contact_id, count(*)::int as messages, max(m.created_at) as last_at
               from message m join conversation c on c.id = m.conversation_id
              where m.organization_id = ? and m.direction = 'IN' and ${written.text} ${channelId ? 'and m.channel_id = ?' : ''}
              group by c.contact_id`,
      params: [organizationId, ...written.params, ...(channelId ? [channelId] : [])],
    });
  }
  const [first, second] = branches;
  if (!second) return first!;
  return {
    text: `select coalesce(t.contact_id, r.contact_id) as contact_id, coalesce(t.messages, 0) + coalesce(r.messages, 0) as messages,
                  greatest(t.last_at, r.last_at) as last_at
             from (${first!.text}) t full join (${second.text}) r on r.contact_id = t.contact_id`,
    params: [...first!.params, ...second.params],
  };
}
