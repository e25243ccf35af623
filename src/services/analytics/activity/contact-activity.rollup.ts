import type { EntityManager } from '../../../db/entity-manager';
import { sql } from '../../../db/sql';
import { bucketPairs, withinOrganizationBuckets, type OrganizationBuckets } from '../organization-buckets';
import { timestampArray, uuidArray } from './activity-sql';

/** A contact of an organization. */
export interface OrganizationContact {
  organizationId: string;
  contactId: string;
}

/** A contact that started or stopped counting as having written in a quarter hour on a channel. */
export interface PresenceChange extends OrganizationContact {
  bucket: Date;
  channelId: string;
}

interface ContactBucketRow {
  organization_id: string;
  contact_id: string;
  /** The driver may hand timestamps back as strings. */
  bucket: Date | string;
  channel_id: string;
  /** `messages|last_message_at` as text, so a change of a microsecond is still a change. */
  value: string;
}

// Contact ids are unique across organizations.
const keyOf = (row: ContactBucketRow) => `${row.contact_id}|${new Date(row.bucket).getTime()}|${row.channel_id}`;

/**
 * Aggregates each contact's inbound messages of these quarter hours again. Returns the contacts
 * whose rows changed (their timelines need rebuilding) and where a contact appeared or vanished
 * (the gaps of its next quarter hours change). Rebuilding unchanged data reports nothing.
 */
export async function rebuildContactActivity(
  em: EntityManager,
  work: OrganizationBuckets[],
): Promise<{ changedContacts: OrganizationContact[]; presenceChanges: PresenceChange[] }> {
  const pairs = bucketPairs(work);
  const before = await sql<ContactBucketRow>(
    em,
    `delete from analytics_contact_activity a
      using unnest(?::uuid[], ?::timestamptz[]) as b(organization_id, bucket)
      where a.organization_id = b.organization_id and a.bucket = b.bucket
     returning a.organization_id, a.contact_id, a.bucket, a.channel_id, a.messages || '|' || a.last_message_at::text as value`,
    [pairs.organizations, pairs.buckets],
  );
  const within = withinOrganizationBuckets('m.organization_id', 'm.created_at', work, 15);
  const after = await sql<ContactBucketRow>(
    em,
    `insert into analytics_contact_activity (organization_id, contact_id, bucket, channel_id, messages, last_message_at)
     select m.organization_id, (select c.contact_id from conversation c where c.id = m.conversation_id),
            date_bin('15 minutes', m.created_at, timestamptz 'epoch'), m.channel_id, count(*), max(m.created_at)
       from message m
      where m.direction = 'IN' and ${within.text}
      group by 1, 2, 3, 4
     returning organization_id, contact_id, bucket, channel_id, messages || '|' || last_message_at::text as value`,
    within.params,
  );

  const previous = new Map(before.map((row) => [keyOf(row), row]));
  const current = new Map(after.map((row) => [keyOf(row), row]));
  const changedContacts = new Map<string, OrganizationContact>();
  const presenceChanges: PresenceChange[] = [];
  const contact = (row: ContactBucketRow) => ({ organizationId: row.organization_id, contactId: row.contact_id });
  const presence = (row: ContactBucketRow) => ({ ...contact(row), bucket: new Date(row.bucket), channelId: row.channel_id });
  for (const [key, row] of current) {
    const old = previous.get(key);
    if (!old) presenceChanges.push(presence(row));
    if (old?.value !== row.value) changedContacts.set(row.contact_id, contact(row));
  }
  for (const [key, row] of previous) {
    if (current.has(key)) continue;
    presenceChanges.push(presence(row));
    changedContacts.set(row.contact_id, contact(row));
  }
  return { changedContacts: [...changedContacts.values()], presenceChanges };
}

/** Rewrites the timelines (over every channel, and per channel) of these contacts from their quarter-hour rows. */
export async function rebuildTimelines(em: EntityManager, contacts: OrganizationContact[]): Promise<void> {
  if (!contacts.length) return;
  const organizations = uuidArray(contacts.map((contact) => contact.organizationId));
  const ids = uuidArray(contacts.map((contact) => contact.contactId));
  const given = 'unnest(?::uuid[], ?::uuid[]) as c(organization_id, contact_id)';
  for (const table of ['analytics_contact_timeline', 'analytics_contact_channel_timeline']) {
    await sql(em, `delete from ${table} t using ${given} where t.organization_id = c.organization_id and t.contact_id = c.contact_id`, [organizations, ids]);
  }
  await sql(
    em,
    `insert into analytics_contact_timeline (organization_id, contact_id, message_times, message_totals, last_message_at)
     select organization_id, contact_id, array_agg(last_message_at order by bucket), array_agg(running order by bucket), max(last_message_at)
       from (select organization_id, contact_id, bucket, last_message_at,
                    (sum(messages) over (partition by organization_id, contact_id order by bucket))::int as running
               from (select a.organization_id, a.contact_id, a.bucket, sum(a.messages) as messages, max(a.last_message_at) as last_message_at
                       from ${given}
                       join analytics_contact_activity a on a.organization_id = c.organization_id and a.contact_id = c.contact_id
                      group by 1, 2, 3) every_channel
            ) timeline
      group by organization_id, contact_id`,
    [organizations, ids],
  );
  await sql(
    em,
    `insert into analytics_contact_channel_timeline (organization_id, contact_id, channel_id, message_times, message_totals, last_message_at)
     select organization_id, contact_id, channel_id, array_agg(last_message_at order by bucket), array_agg(running order by bucket), max(last_message_at)
       from (select a.organization_id, a.contact_id, a.channel_id, a.bucket, a.last_message_at,
                    (sum(a.messages) over (partition by a.organization_id, a.contact_id, a.channel_id order by a.bucket))::int as running
               from ${given}
               join analytics_contact_activity a on a.organization_id = c.organization_id and a.contact_id = c.contact_id) timeline
      group by organization_id, contact_id, channel_id`,
    [organizations, ids],
  );
}

/**
 * The quarter hours whose gaps depend on these changes: for each, the contact's next quarter hour
 * with activity, on any channel and on that channel.
 */
export async function bucketsAfter(em: EntityManager, changes: PresenceChange[]): Promise<OrganizationBuckets[]> {
  if (!changes.length) return [];
  const rows = await sql<{ organization_id: string; bucket: Date | string }>(
    em,
    `select distinct c.organization_id, later.bucket
       from unnest(?::uuid[], ?::uuid[], ?::timestamptz[], ?::uuid[]) as c(organization_id, contact_id, bucket, channel_id)
       cross join lateral (
         (select a.bucket from analytics_contact_activity a
           where a.organization_id = c.organization_id and a.contact_id = c.contact_id and a.bucket > c.bucket order by a.bucket limit 1)
         union
         (select a.bucket from analytics_contact_activity a
           where a.organization_id = c.organization_id and a.contact_id = c.contact_id and a.bucket > c.bucket and a.channel_id = c.channel_id
           order by a.bucket limit 1)
       ) later`,
    [
      uuidArray(changes.map((change) => change.organizationId)),
      uuidArray(changes.map((change) => change.contactId)),
      timestampArray(changes.map((change) => change.bucket)),
      uuidArray(changes.map((change) => change.channelId)),
    ],
  );
  return rows.map((row) => ({ organizationId: row.organization_id, buckets: [new Date(row.bucket)] }));
}
