import type { Client } from 'pg';

/**
 * Consistency of a generated history (`--check`): what the runtime guarantees and the reports rely
 * on. Each query counts the rows that break one rule; all must be zero.
 */
const CHECKS: { rule: string; sql: string }[] = [
  {
    // The load skips foreign-key triggers: the keys must hold anyway.
    rule: 'foreign keys: messages and events to conversations, conversations to contacts and channels',
    sql: `select (select count(*) from message m where not exists (select 1 from conversation c where c.id = m.conversation_id))
               + (select count(*) from conversation_event e where not exists (select 1 from conversation c where c.id = e.conversation_id))
               + (select count(*) from conversation c where not exists (select 1 from contact k where k.id = c.contact_id and k.organization_id = c.organization_id)
                                                         or not exists (select 1 from channel h where h.id = c.channel_id and h.organization_id = c.organization_id))`,
  },
  {
    rule: 'bot messages name a node of their flow version',
    sql: `select count(*) from message m join flow_version v on v.flow_id = m.flow_id and v.version = m.flow_version
           where m.flow_id is not null and not exists (select 1 from jsonb_array_elements(v.definition->'nodes') node where node->>'id' = m.flow_node_id)`,
  },
  {
    rule: 'event ids follow time',
    sql: `select count(*) from (select created_at < lag(created_at) over (order by id) as back from conversation_event) events where back`,
  },
  {
    // The refresher reads the log by seq: every event is sequenced, in the order of its id.
    rule: 'event seqs given, unique, and in id order',
    sql: `select (select count(*) from conversation_event where seq is null)
               + (select count(*) from (select seq <= lag(seq) over (order by id) as back from conversation_event) events where back)`,
  },
  {
    rule: 'one MESSAGE_SENT per outbound message, one MESSAGE_RECEIVED per inbound',
    sql: `select abs((select count(*) from message where direction = 'OUT') - (select count(*) from conversation_event where type = 'MESSAGE_SENT'))
               + abs((select count(*) from message where direction = 'IN') - (select count(*) from conversation_event where type = 'MESSAGE_RECEIVED'))`,
  },
  {
    rule: 'statuses match their times (READ has read_at after delivered_at, FAILED has a code)',
    sql: `select count(*) from message where direction = 'OUT' and (
            (status = 'READ' and (read_at is null or delivered_at is null or read_at < delivered_at))
         or (status = 'DELIVERED' and (delivered_at is null or read_at is not null))
         or (status = 'FAILED' and (failed_at is null or error_code is null or error_title is null))
         or (status <> 'QUEUED' and status <> 'FAILED' and sent_at is null)
         or (delivered_at < sent_at))`,
  },
  {
    rule: 'sessions start at their flow start node',
    sql: `select count(*) from (
            select e.data->>'nodeId' as node, v.definition->>'start' as start,
                   lag(e.data->>'type') over (partition by e.conversation_id order by e.id) as before_type,
                   lag(e.data->>'flowId') over (partition by e.conversation_id order by e.id) as before_flow,
                   e.data->>'flowId' as flow, e.data->>'type' as type
              from conversation_event e
              join flow_version v on v.flow_id = (e.data->>'flowId')::uuid and v.version = (e.data->>'flowVersion')::int
             where e.type = 'BOT') steps
           where type = 'node_entered' and (before_type is null or before_type in ('ended', 'handoff', 'expired')) and node <> start`,
  },
  {
    rule: 'agent messages come from agents of the organization',
    sql: `select count(*) from message m left join "user" u on u.id = m.author_user_id and u.organization_id = m.organization_id
           where m.author_kind = 'AGENT' and u.id is null`,
  },
];

export async function checkHistory(db: Client): Promise<{ rule: string; broken: number }[]> {
  const results = [];
  for (const check of CHECKS) {
    const { rows } = await db.query<Record<string, string>>(check.sql);
    results.push({ rule: check.rule, broken: Number(Object.values(rows[0]!)[0]) });
  }
  return results;
}
