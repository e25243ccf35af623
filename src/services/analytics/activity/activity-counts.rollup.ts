import type { EntityManager } from '../../../db/entity-manager';
import { sql } from '../../../db/sql';
import { bucketPairs, withinOrganizationBuckets, type OrganizationBuckets } from '../organization-buckets';
import { CLOSED_EVENT, LIFECYCLE_EVENT, OPENED_EVENT } from './activity-sql';

/** Quarter hours between a contact row and the contact's previous one (`previous` is a column of the same query). */
const gap = (previous: string) => `(extract(epoch from a.bucket - ${previous}) / 900)::int`;

/**
 * Rewrites analytics_activity for these quarter hours: message counts and conversations opened and
 * closed from the raw rows, and the contact gaps from analytics_contact_activity (which must be
 * current for these quarter hours and everything before them).
 */
export async function rebuildActivityCounts(em: EntityManager, work: OrganizationBuckets[]): Promise<void> {
  const pairs = bucketPairs(work);
  if (pairs.buckets === '{}') return;
  const given = 'unnest(?::uuid[], ?::timestamptz[]) as b(organization_id, bucket)';
  await sql(em, `delete from analytics_activity a using ${given} where a.organization_id = b.organization_id and a.bucket = b.bucket`, [
    pairs.organizations,
    pairs.buckets,
  ]);
  const messages = withinOrganizationBuckets('m.organization_id', 'm.created_at', work, 15);
  const events = withinOrganizationBuckets('e.organization_id', 'e.created_at', work, 15);
  const bucketOf = (column: string) => `date_bin('15 minutes', ${column}, timestamptz 'epoch')`;
  await sql(
    em,
    `with counts as (
       select organization_id, bucket, channel_id, sum(inbound) as inbound, sum(outbound) as outbound, sum(opened) as opened, sum(closed) as closed
         from (
           select m.organization_id, ${bucketOf('m.created_at')} as bucket, m.channel_id,
                  count(*) filter (where m.direction = 'IN') as inbound, count(*) filter (where m.direction = 'OUT') as outbound,
                  0 as opened, 0 as closed
             from message m
            where ${messages.text}
            group by 1, 2, 3
           union all
           -- A subquery per event rather than a join, which the planner may answer by hashing the whole conversation table.
           select e.organization_id, ${bucketOf('e.created_at')}, (select c.channel_id from conversation c where c.id = e.conversation_id), 0, 0,
                  count(*) filter (where ${OPENED_EVENT('e')}), count(*) filter (where ${CLOSED_EVENT('e')})
             from conversation_event e
            where ${LIFECYCLE_EVENT('e')} and ${events.text}
            group by 1, 2, 3
         ) parts
        group by organization_id, bucket, channel_id
       having sum(inbound) + sum(outbound) + sum(opened) + sum(closed) > 0
     ),
     contacts as (
       select a.organization_id, a.bucket, a.channel_id,
              count(*) filter (where here.previous is null) as new_contacts,
              coalesce(array_agg(${gap('here.previous')} order by here.previous desc) filter (where here.previous is not null), '{}') as contact_gaps,
              count(*) filter (where a.first_channel and anywhere.previous is null) as any_new_contacts,
              coalesce(array_agg(${gap('anywhere.previous')} order by anywhere.previous desc)
                         filter (where a.first_channel and anywhere.previous is not null), '{}') as any_contact_gaps
         from (
           -- Over every channel, a contact counts once: on the row of its first channel (by id).
           select r.organization_id, r.bucket, r.channel_id, r.contact_id,
                  row_number() over (partition by r.organization_id, r.contact_id, r.bucket order by r.channel_id) = 1 as first_channel
             from ${given}
             join analytics_contact_activity r on r.organization_id = b.organization_id and r.bucket = b.bucket
         ) a
         cross join lateral (
           select max(p.bucket) as previous from analytics_contact_activity p
            where p.organization_id = a.organization_id and p.contact_id = a.contact_id and p.bucket < a.bucket and p.channel_id = a.channel_id
         ) here
         cross join lateral (
           select max(p.bucket) as previous from analytics_contact_activity p
            where p.organization_id = a.organization_id and p.contact_id = a.contact_id and p.bucket < a.bucket
         ) anywhere
        group by a.organization_id, a.bucket, a.channel_id
     )
     insert into analytics_activity (organization_id, bucket, channel_id, inbound, outbound, conversations_opened, conversations_closed,
                                     new_contacts, contact_gaps, any_new_contacts, any_contact_gaps)
     select coalesce(counts.organization_id, contacts.organization_id), coalesce(counts.bucket, contacts.bucket), coalesce(counts.channel_id, contacts.channel_id),
            coalesce(counts.inbound, 0), coalesce(counts.outbound, 0), coalesce(counts.opened, 0), coalesce(counts.closed, 0),
            coalesce(contacts.new_contacts, 0), coalesce(contacts.contact_gaps, '{}'),
            coalesce(contacts.any_new_contacts, 0), coalesce(contacts.any_contact_gaps, '{}')
       from counts
       full join contacts on contacts.organization_id = counts.organization_id and contacts.bucket = counts.bucket and contacts.channel_id = counts.channel_id`,
    [...messages.params, ...events.params, pairs.organizations, pairs.buckets],
  );
}
