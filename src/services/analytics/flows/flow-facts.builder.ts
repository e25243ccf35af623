import type { EntityManager } from '../../../db/entity-manager';
import { sql } from '../../../db/sql';
import { isUuid } from '../../../db/find-by-id';
import type { ConversationFactsBuilder } from '../rollup-builder';
import { deriveFlowSessions, type FlowLogEvent, type LoggedMessage, type SessionFact } from './flow-session.derivation';
import { flowVersionFacts } from './flow-version-facts';
import { uuidArray } from './uuid-array';
import type { ConversationEventRow as EventRow } from '../../inbound/conversation-log';

/** The log entries a session is made of; delivery statuses are read from the message rows instead. */
const SESSION_EVENT_TYPES = ['BOT', 'MESSAGE_RECEIVED', 'MESSAGE_SENT', 'STATUS_CHANGED', 'ASSIGNED'];
/**
 * The refresher and a rebuild job may derive the same conversation at once; their deletes would
 * not see each other's inserts. Flow fact writers take turns instead (until their commit).
 */
const WRITER_LOCK = 7_050_100;

interface ConversationRow {
  id: string;
  organization_id: string;
  channel_id: string;
  contact_id: string;
}

interface MessageRow {
  id: string;
  created_at: Date;
  flow_id: string | null;
  flow_version: number | null;
  flow_node_id: string | null;
  failed: boolean;
}

async function loadEvents(em: EntityManager, ids: string[]): Promise<Map<string, FlowLogEvent[]>> {
  const rows = await sql<EventRow>(
    em,
    `select id, conversation_id, type, data, created_at from conversation_event
      where conversation_id = any(?::uuid[]) and type in (${SESSION_EVENT_TYPES.map(() => '?').join(', ')})
      order by conversation_id, id`,
    [uuidArray(ids), ...SESSION_EVENT_TYPES],
  );
  const byConversation = new Map<string, FlowLogEvent[]>();
  for (const row of rows) {
    const list = byConversation.get(row.conversation_id) ?? [];
    list.push({ id: String(row.id), at: new Date(row.created_at), type: row.type, data: row.data ?? {} });
    byConversation.set(row.conversation_id, list);
  }
  // Conversations the bot never spoke in have no sessions.
  for (const [id, events] of byConversation) if (!events.some((event) => event.type === 'BOT')) byConversation.delete(id);
  return byConversation;
}

async function loadMessages(em: EntityManager, ids: string[]): Promise<Map<string, LoggedMessage>> {
  const rows = await sql<MessageRow>(
    em,
    `select id, created_at, flow_id, flow_version, flow_node_id, (status = 'FAILED' or failed_at is not null) as failed
       from message where conversation_id = any(?::uuid[])`,
    [uuidArray(ids)],
  );
  return new Map(
    rows.map((row) => [
      row.id,
      {
        at: new Date(row.created_at),
        flow: row.flow_id && row.flow_version !== null && row.flow_node_id ? { id: row.flow_id, version: row.flow_version, nodeId: row.flow_node_id } : null,
        failed: Boolean(row.failed),
      },
    ]),
  );
}

function sessionRecord(conversation: ConversationRow, session: SessionFact) {
  return {
    id: session.startEventId,
    organization_id: conversation.organization_id,
    conversation_id: conversation.id,
    channel_id: conversation.channel_id,
    contact_id: conversation.contact_id,
    flow_id: session.flowId,
    flow_version: session.flowVersion,
    started_at: session.startedAt.toISOString(),
    last_activity_at: session.lastActivityAt.toISOString(),
    ended_at: session.endedAt?.toISOString() ?? null,
    expires_at: session.expiresAt?.toISOString() ?? null,
    outcome: session.outcome,
    end_node_id: session.endNodeId,
    inbound_messages: session.inboundMessages,
    outbound_messages: session.outboundMessages,
  };
}

/** A node row without the session's columns: the insert takes those from the session row, so the payload stays small. */
function nodeRecords(session: SessionFact) {
  return session.nodes.map((node) => ({
    session_id: session.startEventId,
    node_id: node.nodeId,
    previous_session_started_at: node.previousSessionStartedAt?.toISOString() ?? null,
    visits: node.visits,
    first_entered_at: node.firstEnteredAt.toISOString(),
    validation_failures: node.validationFailures,
    retries: node.retries,
    exit_continued: node.exits.continued,
    exit_retried: node.exits.retried,
    exit_validation_failed: node.exits.validationFailed,
    exit_abandoned: node.exits.abandoned,
    exit_handed_off: node.exits.handedOff,
    exit_ended: node.exits.ended,
    waiting_until: node.waitingUntil?.toISOString() ?? null,
    seconds_to_answer: node.secondsToAnswer,
    delivery_failed: node.deliveryFailed,
  }));
}

const SESSION_COLUMNS = `id bigint, organization_id uuid, conversation_id uuid, channel_id uuid, contact_id uuid, flow_id uuid, flow_version int,
  started_at timestamptz, last_activity_at timestamptz, ended_at timestamptz, expires_at timestamptz, outcome varchar(16),
  end_node_id varchar(100), inbound_messages int, outbound_messages int`;
const NODE_COLUMNS = `session_id bigint, node_id varchar(100), previous_session_started_at timestamptz, visits int, first_entered_at timestamptz,
  validation_failures int, retries int, exit_continued int, exit_retried int, exit_validation_failed int, exit_abandoned int, exit_handed_off int,
  exit_ended int, waiting_until timestamptz, seconds_to_answer double precision, delivery_failed boolean`;
const names = (columns: string, prefix = '') => columns.split(',').map((column) => `${prefix}${column.trim().split(/\s+/)[0]}`).join(', ');
const SESSION_COPIES = 'organization_id, channel_id, flow_id, flow_version';

/*
 * Rows travel as one JSON array per table: a single statement and a single bound value. json, not
 * jsonb: the text is read once, and converting it to jsonb first only adds work.
 */
async function insertSessions(em: EntityManager, records: object[]): Promise<void> {
  if (!records.length) return;
  await sql(
    em,
    `insert into analytics_flow_session (${names(SESSION_COLUMNS)})
     select ${names(SESSION_COLUMNS)} from json_to_recordset(?::json) as r(${SESSION_COLUMNS})`,
    [JSON.stringify(records)],
  );
}

async function insertNodeVisits(em: EntityManager, records: object[]): Promise<void> {
  if (!records.length) return;
  await sql(
    em,
    `insert into analytics_flow_node_visit (${names(NODE_COLUMNS)}, ${SESSION_COPIES}, session_started_at)
     select ${names(NODE_COLUMNS, 'r.')}, ${names(SESSION_COPIES, 's.')}, s.started_at
       from json_to_recordset(?::json) as r(${NODE_COLUMNS})
       join analytics_flow_session s on s.id = r.session_id`,
    [JSON.stringify(records)],
  );
}

/**
 * Bot sessions and node visits (DESIGN.md section 10 analytics): deletes the conversations' facts
 * and derives them again from their event log, in the caller's transaction. Idempotent.
 */
export const flowFactsBuilder: ConversationFactsBuilder = {
  kind: 'conversation',
  name: 'flow-sessions',
  async rebuildConversations(em, conversationIds) {
    const ids = [...new Set(conversationIds.filter(isUuid))];
    if (!ids.length) return;
    await sql(em, 'select pg_advisory_xact_lock(?)', [WRITER_LOCK]);
    await sql(em, 'delete from analytics_flow_session where conversation_id = any(?::uuid[])', [uuidArray(ids)]);

    const events = await loadEvents(em, ids);
    if (!events.size) return;
    const withBot = [...events.keys()];
    const conversations = await sql<ConversationRow>(em, 'select id, organization_id, channel_id, contact_id from conversation where id = any(?::uuid[])', [
      uuidArray(withBot),
    ]);
    const messages = await loadMessages(em, withBot);
    const versions = await flowVersionFacts(em, [...events.values()]);

    const sessions: object[] = [];
    const nodes: object[] = [];
    for (const conversation of conversations) {
      for (const session of deriveFlowSessions(events.get(conversation.id) ?? [], messages, versions)) {
        // A log entry naming no real flow (hand-edited data) must not break the refresher for everyone.
        if (!isUuid(session.flowId)) continue;
        sessions.push(sessionRecord(conversation, session));
        nodes.push(...nodeRecords(session));
      }
    }
    await insertSessions(em, sessions);
    await insertNodeVisits(em, nodes);
  },
};
