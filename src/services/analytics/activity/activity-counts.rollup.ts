import type { EntityManager } from '../../../db/entity-manager';
import { sql } from '../../../db/sql';
import { CLOSED_EVENT, LIFECYCLE_EVENT, OPENED_EVENT, timestampArray } from './activity-sql';

/** Quarter hours between a contact row and the contact's previous one (`previous` is a column of the same query). */
const gap = (previous: string) => `(extract(epoch from a.bucket - ${previous}) / 900)::int`;

/**
 * Rewrites analytics_activity for these quarter hours: message counts and conversations opened and
 * closed from the raw rows, and the contact gaps from analytics_contact_activity (which must be
 * current for these quarter hours and everything before them).
 */
export async function rebuildActivityCounts(em: EntityManager, organizationId: string, buckets: Date[]): Promise<void> {
  if (!buckets.length) return;
  const array = timestampArray(buckets);
  await sql(em, 'delete from analytics_activity where organization_id = ? and bucket = any(?::timestamptz[])', [organizationId, array]);
  await sql(
    em,
    `with counts as (
       select bucket, channel_id, sum(inbound) as inbound, sum(outbound) as outbound, sum(opened) as opened, sum(closed) as closed
         from (
           select b.bucket, m.channel_id,
                  count(*) filter (where m.direction = 'IN') as inbound, count(*) filter (where m.direction = 'OUT') as outbound,
                  0 as opened, 0 as closed
             from unnest(?::timestamptz[]) as b(bucket)
             join message m on m.organization_id = ? and m.created_at >= b.bucket and m.created_at < b.bucket + interval '15 minutes'
            group by b.bucket, m.channel_id
           union all
           -- A subquery per event, not a join: the planner, blind to how few rows unnest() gives,
           -- would hash the whole conversation table.
           select b.bucket, (select c.channel_id from conversation c where c.id = e.conversation_id) as channel_id, 0, 0,
                  count(*) filter (where ${OPENED_EVENT('e')}), count(*) filter (where ${CLOSED_EVENT('e')})
             from unnest(?::timestamptz[]) as b(bucket)
             join conversation_event e on ${LIFECYCLE_EVENT('e')} and e.organization_id = ?
                                      and e.created_at >= b.bucket and e.created_at < b.bucket + interval '15 minutes'
            group by 1, 2
         ) parts
        group by bucket, channel_id
       having sum(inbound) + sum(outbound) + sum(opened) + sum(closed) > 0
     ),
     contacts as (
       select a.bucket, a.channel_id,
              count(*) filter (where here.previous is null) as new_contacts,
              coalesce(array_agg(${gap('here.previous')} order by here.previous desc) filter (where here.previous is not null), '{}') as contact_gaps,
              count(*) filter (where a.first_channel and anywhere.previous is null) as any_new_contacts,
              coalesce(array_agg(${gap('anywhere.previous')} order by anywhere.previous desc)
                         filter (where a.first_channel and anywhere.previous is not null), '{}') as any_contact_gaps
         from (
           -- Over every channel, a contact counts once: on the row of its first channel (by id).
           select r.bucket, r.channel_id, r.contact_id,
                  row_number() over (partition by r.contact_id, r.bucket order by r.channel_id) = 1 as first_channel
             from analytics_contact_activity r
            where r.organization_id = ? and r.bucket = any(?::timestamptz[])
         ) a
         cross join lateral (
           select max(p.bucket) as previous from analytics_contact_activity p
            where p.organization_id = ? and p.contact_id = a.contact_id and p.bucket < a.bucket and p.channel_id = a.channel_id
         ) here
         cross join lateral (
           select max(p.bucket) as previous from analytics_contact_activity p
            where p.organization_id = ? and p.contact_id = a.contact_id and p.bucket < a.bucket
         ) anywhere
        group by a.bucket, a.channel_id
     )
     insert into analytics_activity (organization_id, bucket, channel_id, inbound, outbound, conversations_opened, conversations_closed,
                                     new_contacts, contact_gaps, any_new_contacts, any_contact_gaps)
     select ?, coalesce(counts.bucket, contacts.bucket), coalesce(counts.channel_id, contacts.channel_id),
            coalesce(counts.inbound, 0), coalesce(counts.outbound, 0), coalesce(counts.opened, 0), coalesce(counts.closed, 0),
            coalesce(contacts.new_contacts, 0), coalesce(contacts.contact_gaps, '{}'),
            coalesce(contacts.any_new_contacts, 0), coalesce(contacts.any_contact_gaps, '{}')
       from counts full join contacts on contacts.bucket = counts.bucket and contacts.channel_id = counts.channel_id`,
    [array, organizationId, array, organizationId, organizationId, array, organizationId, organizationId, organizationId],
  );
}
