import type { Client } from 'pg';

export interface HistoryChannel {
  organizationId: string;
  channelId: string;
}

/** How much history: closed conversations, and messages in each. */
export interface HistorySize {
  conversations: number;
  messagesEach: number;
}

/**
 * Gives the channels the history of a business in service, then VACUUM and ANALYZE: closed
 * conversations shared round robin over the channels, each with its contact and `messagesEach`
 * messages (in and out by turns, spread over the 30 days before yesterday), and the processed
 * webhook delivery of every inbound one. On an empty database PostgreSQL plans for tables it believes tiny (it reads
 * them whole and hashes them, and keeps such generic plans while the tables grow) until
 * autovacuum's analyze, a minute later, catches up: a run of a few seconds would measure those
 * plans rather than the ones of a system in service. Contacts' wa_ids start with 44 (the
 * benchmarks' customers' with 55); wamids with `wamid.history.`.
 */
export async function seedHistory(db: Client, channels: HistoryChannel[], size: HistorySize): Promise<void> {
  if (!size.conversations || !channels.length) return;
  await db.query(
    `with target as (
       select * from unnest($1::uuid[], $2::uuid[]) with ordinality as t(organization_id, channel_id, n)
     ),
     seeded as (
       select i, t.organization_id, t.channel_id, gen_random_uuid() as contact_id, gen_random_uuid() as conversation_id
         from generate_series(0, $3 - 1) as i
         join target t on t.n = i % cardinality($1::uuid[]) + 1
     ),
     contacts as (
       insert into contact (id, created_at, updated_at, organization_id, wa_id, name, first_seen_at, last_seen_at)
       select contact_id, now() - interval '31 days', now() - interval '1 day', organization_id, '44' || lpad(i::text, 11, '0'),
              'History ' || i, now() - interval '31 days', now() - interval '1 day'
         from seeded),
     conversations as (
       insert into conversation (id, created_at, updated_at, organization_id, channel_id, contact_id, status, last_message_at)
       select conversation_id, now() - interval '31 days', now() - interval '1 day', organization_id, channel_id, contact_id, 'CLOSED',
              now() - interval '1 day'
         from seeded),
     messages as (
       insert into message (id, created_at, updated_at, organization_id, conversation_id, channel_id, wamid, direction, type, text, payload, status)
       select gen_random_uuid(), at, at, organization_id, conversation_id, channel_id, 'wamid.history.' || gen_random_uuid(),
              case when k % 2 = 0 then 'IN' else 'OUT' end::message_direction, 'TEXT', 'history', '{}'::jsonb,
              case when k % 2 = 0 then 'RECEIVED' else 'READ' end::message_status
         from (select s.*, k, now() - interval '1 day' - interval '30 days' * random() as at
                 from seeded s cross join generate_series(0, $4 - 1) as k) spread
       returning created_at, direction, wamid)
     insert into webhook_delivery (id, raw_body, received_at, status, processed_at, attempts)
     select gen_random_uuid(), json_build_object('object', 'whatsapp_business_account', 'history', wamid)::text, created_at, 'PROCESSED', created_at, 1
       from messages where direction = 'IN'`,
    [`{${channels.map((channel) => channel.organizationId).join(',')}}`, `{${channels.map((channel) => channel.channelId).join(',')}}`, size.conversations, size.messagesEach],
  );
  // VACUUM too, not only ANALYZE: otherwise autovacuum vacuums the 100,000 fresh rows on its own,
  // a minute later, in the middle of the measurement.
  await db.query('vacuum (analyze) contact, conversation, message, webhook_delivery');
  await db.query('analyze');
}
