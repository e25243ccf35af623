import type { EntityManager } from '../../../db/entity-manager';
import { sql } from '../../../db/sql';
import { timestampArray, uuidArray } from './activity-sql';

/** A contact that started or stopped counting as having written in a quarter hour on a channel. */
export interface PresenceChange {
  contactId: string;
  bucket: Date;
  channelId: string;
}

interface ContactBucketRow {
  contact_id: string;
  /** The driver may hand timestamps back as strings. */
  bucket: Date | string;
  channel_id: string;
  /** `messages|last_message_at` as text, so a change of a microsecond is still a change. */
  value: string;
}

const keyOf = (row: ContactBucketRow) => `${row.contact_id}|${new Date(row.bucket).getTime()}|${row.channel_id}`;

/**
 * Aggregates each contact's inbound messages of these quarter hours again. Returns the contacts
 * whose rows changed (their timelines need rebuilding) and where a contact appeared or vanished
 * (the gaps of its next quarter hours change). Rebuilding unchanged data reports nothing.
 */
export async function rebuildContactActivity(
  em: EntityManager,
  organizationId: string,
  buckets: Date[],
): Promise<{ changedContacts: string[]; presenceChanges: PresenceChange[] }> {
  const array = timestampArray(buckets);
  const before = await sql<ContactBucketRow>(
    em,
    `delete from analytics_contact_activity where organization_id = ? and bucket = any(?::timestamptz[])
     returning contact_id, bucket, channel_id, messages || '|' || last_message_at::text as value`,
    [organizationId, array],
  );
  const after = await sql<ContactBucketRow>(
    em,
    `insert into analytics_contact_activity (organization_id, contact_id, bucket, channel_id, messages, last_message_at)
     select ?, (select c.contact_id from conversation c where c.id = m.conversation_id), b.bucket, m.channel_id, count(*), max(m.created_at)
       from unnest(?::timestamptz[]) as b(bucket)
       join message m on m.organization_id = ? and m.created_at >= b.bucket and m.created_at < b.bucket + interval '15 minutes'
                     and m.direction = 'IN'
      group by 2, b.bucket, m.channel_id
     returning contact_id, bucket, channel_id, messages || '|' || last_message_at::text as value`,
    [organizationId, array, organizationId],
  );

  const previous = new Map(before.map((row) => [keyOf(row), row]));
  const current = new Map(after.map((row) => [keyOf(row), row]));
  const changedContacts = new Set<string>();
  const presenceChanges: PresenceChange[] = [];
  const presence = (row: ContactBucketRow) => ({ contactId: row.contact_id, bucket: new Date(row.bucket), channelId: row.channel_id });
  for (const [key, row] of current) {
    const old = previous.get(key);
    if (!old) presenceChanges.push(presence(row));
    if (old?.value !== row.value) changedContacts.add(row.contact_id);
  }
  for (const [key, row] of previous) {
    if (current.has(key)) continue;
    presenceChanges.push(presence(row));
    changedContacts.add(row.contact_id);
  }
  return { changedContacts: [...changedContacts], presenceChanges };
}

/** Rewrites the timelines (over every channel, and per channel) of these contacts from their quarter-hour rows. */
export async function rebuildTimelines(em: EntityManager, organizationId: string, contactIds: string[]): Promise<void> {
  if (!contactIds.length) return;
  const ids = uuidArray(contactIds);
  await sql(em, 'delete from analytics_contact_timeline where organization_id = ? and contact_id = any(?::uuid[])', [organizationId, ids]);
  await sql(em, 'delete from analytics_contact_channel_timeline where organization_id = ? and contact_id = any(?::uuid[])', [organizationId, ids]);
  await sql(
    em,
    `insert into analytics_contact_timeline (organization_id, contact_id, message_times, message_totals, last_message_at)
     select ?, contact_id, array_agg(last_message_at order by bucket), array_agg(running order by bucket), max(last_message_at)
       from (select contact_id, bucket, last_message_at, (sum(messages) over (partition by contact_id order by bucket))::int as running
               from (select contact_id, bucket, sum(messages) as messages, max(last_message_at) as last_message_at
                       from analytics_contact_activity
                      where organization_id = ? and contact_id = any(?::uuid[])
                      group by contact_id, bucket) every_channel
            ) timeline
      group by contact_id`,
    [organizationId, organizationId, ids],
  );
  await sql(
    em,
    `insert into analytics_contact_channel_timeline (organization_id, contact_id, channel_id, message_times, message_totals, last_message_at)
     select ?, contact_id, channel_id, array_agg(last_message_at order by bucket), array_agg(running order by bucket), max(last_message_at)
       from (select contact_id, channel_id, bucket, last_message_at,
                    (sum(messages) over (partition by contact_id, channel_id order by bucket))::int as running
               from analytics_contact_activity
              where organization_id = ? and contact_id = any(?::uuid[])) timeline
      group by contact_id, channel_id`,
    [organizationId, organizationId, ids],
  );
}

/**
 * The quarter hours whose gaps depend on these changes: for each, the contact's next quarter hour
 * with activity, on any channel and on that channel.
 */
export async function bucketsAfter(em: EntityManager, organizationId: string, changes: PresenceChange[]): Promise<Date[]> {
  if (!changes.length) return [];
  const rows = await sql<{ bucket: Date | string }>(
    em,
    `select distinct later.bucket
       from unnest(?::uuid[], ?::timestamptz[], ?::uuid[]) as c(contact_id, bucket, channel_id)
       cross join lateral (
         (select a.bucket from analytics_contact_activity a
           where a.organization_id = ? and a.contact_id = c.contact_id and a.bucket > c.bucket order by a.bucket limit 1)
         union
         (select a.bucket from analytics_contact_activity a
           where a.organization_id = ? and a.contact_id = c.contact_id and a.bucket > c.bucket and a.channel_id = c.channel_id
           order by a.bucket limit 1)
       ) later`,
    [
      uuidArray(changes.map((change) => change.contactId)),
      timestampArray(changes.map((change) => change.bucket)),
      uuidArray(changes.map((change) => change.channelId)),
      organizationId,
      organizationId,
    ],
  );
  return rows.map((row) => new Date(row.bucket));
}
