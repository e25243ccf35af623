import type { SendState } from '../../entities/message.entity';
import { systemEm, type EntityManager } from '../../db/entity-manager';
import { perOrm, type Orm } from '../../db/orm';
import { arrayLiteral } from '../../db/pg-array';
import { jsonRows, jsonRowsValues, sql } from '../../db/sql';
import { StatementBatcher } from '../../db/statement-batcher';
import type { MessageStatus } from '../../domain/message-status';

/** What sending needs of a message: read with its channel and recipient in one query, not through the ORM (every send runs this). */
export interface OutgoingMessage {
  id: string;
  organizationId: string;
  conversationId: string;
  status: MessageStatus;
  sendState: SendState | null;
  sendStartedAt: Date | null;
  sendAttempts: number;
  payload: Record<string, unknown>;
  channel: { id: string; phoneNumberId: string; throughputPerSecond: number; accessTokenEncrypted: string };
  recipient: string;
  /** An earlier message of the conversation is still QUEUED: this one waits its turn. */
  earlierQueued: boolean;
}

interface OutgoingRow {
  id: string;
  organization_id: string;
  conversation_id: string;
  status: MessageStatus;
  send_state: SendState | null;
  send_started_at: Date | null;
  send_attempts: number;
  payload: Record<string, unknown>;
  channel_id: string;
  phone_number_id: string;
  throughput_per_second: number;
  access_token_encrypted: string;
  wa_id: string;
  earlier_queued: boolean;
}

const outgoingOf = (row: OutgoingRow): OutgoingMessage => ({
  id: row.id,
  organizationId: row.organization_id,
  conversationId: row.conversation_id,
  status: row.status,
  sendState: row.send_state,
  sendStartedAt: row.send_started_at ? new Date(row.send_started_at) : null,
  sendAttempts: row.send_attempts,
  payload: row.payload,
  channel: {
    id: row.channel_id,
    phoneNumberId: row.phone_number_id,
    throughputPerSecond: row.throughput_per_second,
    accessTokenEncrypted: row.access_token_encrypted,
  },
  recipient: row.wa_id,
  earlierQueued: row.earlier_queued,
});

/** A send Meta took, to record. */
export interface Acceptance {
  message: Pick<OutgoingMessage, 'id' | 'organizationId' | 'conversationId'>;
  wamid: string;
  /** The MESSAGE_STATUS_CHANGED event's data, logged when the message leaves QUEUED. */
  data: Record<string, unknown>;
}

export interface Accepted {
  /** When the message left QUEUED here, the time of its logged event; null when a status webhook got there first. */
  loggedAt: Date | null;
  /** The message took this wamid, and statuses arrived for it before it was known: apply them now. */
  parked: boolean;
}

/** Unique to a batch item, so statement text never depends on a caller's values. */
const position = <T>(items: T[]) => items.map((item, index) => ({ index, item }));

/**
 * Messages to send, with their channel and recipient, and whether an earlier message of the same
 * conversation is still QUEUED: a look into that conversation's part of the queue index, never a
 * scan of the whole queue (Migration20261123010000OneIndexOfQueuedMessages). `?`: the ids, as an
 * array literal.
 */
export const LOAD_OUTGOING_SQL = `select m.id, m.organization_id, m.conversation_id, m.status, m.send_state, m.send_started_at, m.send_attempts, m.payload,
       ch.id as channel_id, ch.phone_number_id, ch.throughput_per_second, ch.access_token_encrypted, ct.wa_id,
       m.status = 'QUEUED' and exists (
         select 1 from message e where e.conversation_id = m.conversation_id and e.status = 'QUEUED' and e.seq < m.seq) as earlier_queued
     from message m
     join channel ch on ch.id = m.channel_id
     join conversation cv on cv.id = m.conversation_id
     join contact ct on ct.id = cv.contact_id
     where m.id = any(?::uuid[])`;

async function loadOutgoing(em: EntityManager, ids: string[]): Promise<(OutgoingMessage | null)[]> {
  const rows = await sql<OutgoingRow>(em, LOAD_OUTGOING_SQL, [arrayLiteral(ids)], { prepared: true });
  const byId = new Map(rows.map((row) => [row.id, outgoingOf(row)]));
  return ids.map((id) => byId.get(id) ?? null);
}

/** Claims QUEUED messages not in flight (IN_FLIGHT, one more attempt, since the admission time): true for each one claimed here. */
async function claim(em: EntityManager, claims: { id: string; at: Date }[]): Promise<boolean[]> {
  const rows = await sql<{ id: string }>(
    em,
    `update message m set send_state = 'IN_FLIGHT', send_attempts = m.send_attempts + 1, send_started_at = v.at, updated_at = now()
     from ${jsonRows('id uuid, at timestamptz')} as v
     where m.id = v.id and m.status = 'QUEUED' and (m.send_state = 'PENDING' or m.send_state is null)
     returning m.id`,
    jsonRowsValues(claims),
    { prepared: true },
  );
  const claimed = new Set(rows.map((row) => row.id));
  return claims.map((item) => claimed.has(item.id));
}

/**
 * Meta took the messages: each is SENT with its wamid, and the log says so when it left QUEUED
 * (a status webhook that got there first has logged its own). One statement with no transaction
 * for the whole batch; the rows are locked in id order, so concurrent batches cannot deadlock.
 */
async function accept(em: EntityManager, acceptances: Acceptance[]): Promise<Accepted[]> {
  const rows = await sql<{ position: number; logged_at: Date | null; parked: boolean }>(
    em,
    `with v as (select * from ${jsonRows('position int, id uuid, wamid text, organization_id uuid, conversation_id uuid, data jsonb')} as v),
     before as (select m.id, m.status as previous from message m where m.id in (select id from v) order by m.id for update),
     accepted as (
       update message m set wamid = v.wamid, status = case when m.status = 'QUEUED' then 'SENT'::message_status else m.status end,
         sent_at = coalesce(m.sent_at, now()), send_state = 'DONE', updated_at = now()
       from before join v on v.id = before.id
       where m.id = before.id and (m.wamid is null or m.wamid = v.wamid)
       returning m.id, before.previous),
     logged as (
       insert into conversation_event (organization_id, conversation_id, type, data, created_at)
       select v.organization_id, v.conversation_id, 'MESSAGE_STATUS_CHANGED'::conversation_event_type, v.data, now()
       from v join accepted on accepted.id = v.id where accepted.previous = 'QUEUED'
       order by v.position
       returning (data->>'messageId')::uuid as message_id, created_at)
     select v.position, logged.created_at as logged_at,
       accepted.id is not null and exists (select 1 from message_status_update u where u.wamid = v.wamid and u.applied_at is null) as parked
     from v left join accepted on accepted.id = v.id left join logged on logged.message_id = v.id`,
    jsonRowsValues(
      position(acceptances).map(({ index, item }) => ({
        position: index,
        id: item.message.id,
        wamid: item.wamid,
        organization_id: item.message.organizationId,
        conversation_id: item.message.conversationId,
        data: item.data,
      })),
    ),
    { prepared: true },
  );
  const byPosition = new Map(rows.map((row) => [Number(row.position), row]));
  return acceptances.map((_, index) => {
    const row = byPosition.get(index);
    return { loggedAt: row?.logged_at ? new Date(row.logged_at) : null, parked: Boolean(row?.parked) };
  });
}

/**
 * The send worker's three statements per message (read, claim, record the acceptance), each shared
 * by the sends that run at the same moment (StatementBatcher): a worker runs dozens of sends at
 * once, and alone each statement cost more in planning and round trips than in work.
 */
export class SendStatements {
  private readonly loads: StatementBatcher<string, OutgoingMessage | null>;
  private readonly claims: StatementBatcher<{ id: string; at: Date }, boolean>;
  private readonly acceptances: StatementBatcher<Acceptance, Accepted>;

  constructor(orm: Orm) {
    const em = systemEm(orm);
    this.loads = new StatementBatcher((ids) => loadOutgoing(em, ids));
    this.claims = new StatementBatcher((items) => claim(em, items));
    this.acceptances = new StatementBatcher((items) => accept(em, items));
  }

  load(messageId: string): Promise<OutgoingMessage | null> {
    return this.loads.submit(messageId);
  }

  claim(messageId: string, admittedAt: Date): Promise<boolean> {
    return this.claims.submit({ id: messageId, at: admittedAt });
  }

  accept(acceptance: Acceptance): Promise<Accepted> {
    return this.acceptances.submit(acceptance);
  }
}

/** The process's send statements for this database. */
export const sendStatementsFor = perOrm((orm) => new SendStatements(orm));
