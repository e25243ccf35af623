import type { Logger } from 'pino';
import { ConversationEventType } from '../../entities/conversation-event.entity';
import { SendState } from '../../entities/message.entity';
import { systemEm, type EntityManager } from '../../db/entity-manager';
import type { Orm } from '../../db/orm';
import { jsonb, sql } from '../../db/sql';
import type { SecretBox } from '../../auth/secret-box';
import { MessageStatus } from '../../domain/message-status';
import type { GraphApiClient } from '../../meta/graph-api.client';
import { GraphApiError, GraphUnknownOutcomeError, GraphUnreachableError } from '../../meta/graph-api.errors';
import type { EventBus } from '../../pubsub/event-bus';
import { appendEvent, type EventDraft } from '../inbound/conversation-log';
import { applyParkedStatuses } from '../inbound/message-status.service';
import type { SendGovernor } from './send-governor';

export interface DeliverDeps {
  orm: Orm;
  graph: GraphApiClient;
  governor: SendGovernor;
  secrets: SecretBox;
  events: EventBus;
  log: Logger;
  /** How long an unknown outcome waits for Meta's status webhook before the message is sent again. */
  reconcileMs: number;
}

/** What the worker should do next with the job. */
export type DeliverOutcome =
  | { kind: 'done'; detail: string }
  /** Try again later without spending an attempt: order, rate limits, an outcome still unknown. */
  | { kind: 'wait'; ms: number; reason: string }
  /** A transient failure: spend an attempt, wait at least `ms`. */
  | { kind: 'retry'; ms: number; error: Error }
  /** Permanently failed and marked FAILED with Meta's code and title. */
  | { kind: 'failed'; error: Error };

const ORDER_WAIT_MS = 250;

/** What sending needs of a message: read with its channel and recipient in one query, not through the ORM (every send runs this). */
interface OutgoingMessage {
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

async function loadOutgoing(em: EntityManager, messageId: string): Promise<OutgoingMessage | null> {
  const [row] = await sql<OutgoingRow>(
    em,
    `select m.id, m.organization_id, m.conversation_id, m.status, m.send_state, m.send_started_at, m.send_attempts, m.payload,
       ch.id as channel_id, ch.phone_number_id, ch.throughput_per_second, ch.access_token_encrypted, ct.wa_id,
       m.status = 'QUEUED' and exists (
         select 1 from message e where e.conversation_id = m.conversation_id and e.status = 'QUEUED' and e.seq < m.seq) as earlier_queued
     from message m
     join channel ch on ch.id = m.channel_id
     join conversation cv on cv.id = m.conversation_id
     join contact ct on ct.id = cv.contact_id
     where m.id = ?`,
    [messageId],
  );
  if (!row) return null;
  return {
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
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function markFailed(em: EntityManager, message: OutgoingMessage, code: string, title: string, details: string | null): Promise<EventDraft> {
  await sql(
    em,
    `update message set status = 'FAILED', failed_at = now(), error_code = ?, error_title = ?, error_details = ?,
       send_state = 'DONE', updated_at = now() where id = ?`,
    [code, title, details, message.id],
  );
  return appendEvent(em, message.organizationId, message.conversationId, ConversationEventType.MESSAGE_STATUS_CHANGED, {
    messageId: message.id,
    status: MessageStatus.FAILED,
    errorCode: code,
  });
}

/**
 * Meta took the message: it is SENT with its wamid, and the log says so. One statement, so one
 * round trip and no transaction: this runs for every message we send. Statuses that arrived
 * before the wamid was known (parked) are applied after it, in a transaction of their own.
 */
async function markAccepted(em: EntityManager, message: OutgoingMessage, wamid: string): Promise<EventDraft[]> {
  const data = { messageId: message.id, status: MessageStatus.SENT, wamid };
  const [row] = await sql<{ previous: MessageStatus; event_id: string | null; event_at: Date | null; parked: boolean }>(
    em,
    `with before as (select id, status as previous from message where id = ? for update),
     accepted as (
       update message m set wamid = ?, status = case when m.status = 'QUEUED' then 'SENT'::message_status else m.status end,
         sent_at = coalesce(m.sent_at, now()), send_state = 'DONE', updated_at = now()
       from before where m.id = before.id and (m.wamid is null or m.wamid = ?)
       returning before.previous),
     logged as (
       insert into conversation_event (organization_id, conversation_id, type, data, created_at)
       select ?::uuid, ?::uuid, 'MESSAGE_STATUS_CHANGED'::conversation_event_type, ?::jsonb, now() from accepted where accepted.previous = 'QUEUED'
       returning id, created_at)
     select accepted.previous, logged.id as event_id, logged.created_at as event_at,
       exists (select 1 from message_status_update where wamid = ? and applied_at is null) as parked
     from accepted left join logged on true`,
    [message.id, wamid, wamid, message.organizationId, message.conversationId, jsonb(data), wamid],
  );
  // Only the move out of QUEUED is news; a status webhook that got here first has logged its own.
  const accepted: EventDraft[] = row?.event_id
    ? [
        {
          kind: 'conversation',
          organizationId: message.organizationId,
          conversationId: message.conversationId,
          cursor: '',
          type: ConversationEventType.MESSAGE_STATUS_CHANGED,
          data,
          at: new Date(row.event_at!).toISOString(),
        },
      ]
    : [];
  if (!row?.parked) return accepted;
  return [...accepted, ...(await em.fork().transactional((tx) => applyParkedStatuses(tx, message.id, wamid)))];
}

/**
 * Sends one QUEUED message through the Graph API, safely under retries, crashes and concurrency:
 * re-reads the row and does nothing if it already left; waits for earlier messages of the same
 * conversation; takes channel and recipient tokens; claims the row (IN_FLIGHT) before the request
 * so a crash mid-request is recognised; never repeats a request whose outcome is unknown until the
 * reconciliation window has passed without Meta's status webhook.
 */
export async function deliverMessage(deps: DeliverDeps, messageId: string, attempt: { made: number; max: number }): Promise<DeliverOutcome> {
  const em = systemEm(deps.orm);
  const message = await loadOutgoing(em, messageId);
  if (!message || message.status !== MessageStatus.QUEUED) return { kind: 'done', detail: 'already left' };
  if (message.earlierQueued) return { kind: 'wait', ms: ORDER_WAIT_MS, reason: 'an earlier message of this conversation has not left yet' };

  const publishAfter = async (work: (tx: EntityManager) => Promise<EventDraft[]>) => {
    const events = await em.fork().transactional(work);
    await deps.events.publish(events);
  };

  // The guards on send_state below leave alone a message a status webhook reconciled meanwhile (DONE).
  if (message.sendState === SendState.IN_FLIGHT || message.sendState === SendState.UNCERTAIN) {
    const since = Date.now() - (message.sendStartedAt?.getTime() ?? 0);
    if (since < deps.reconcileMs) {
      await sql(em, `update message set send_state = 'UNCERTAIN' where id = ? and send_state = 'IN_FLIGHT'`, [message.id]);
      return { kind: 'wait', ms: deps.reconcileMs - since, reason: 'outcome of the previous request unknown; waiting for its status webhook' };
    }
    // Every request may have reached the customer: resending is bounded like any retry.
    if (message.sendAttempts >= attempt.max) {
      const title = `No answer from Meta and no status webhook after ${message.sendAttempts} attempts; the message may have been delivered`;
      await publishAfter(async (tx) => [await markFailed(tx, message, 'OUTCOME_UNKNOWN', title, null)]);
      return { kind: 'failed', error: new Error(title) };
    }
    deps.log.warn({ messageId }, 'no status webhook after an unknown send outcome; sending again');
    await sql(em, `update message set send_state = 'PENDING' where id = ? and send_state in ('IN_FLIGHT', 'UNCERTAIN')`, [message.id]);
  }

  const channel = message.channel;
  const slot = await deps.governor.take(channel.id, channel.throughputPerSecond, message.recipient);
  if (!slot.reserved) return { kind: 'wait', ms: slot.waitMs, reason: 'channel or recipient rate limit' };
  // Our slot at the channel's rate: hold it here rather than give it up.
  if (slot.waitMs > 0) await sleep(slot.waitMs);

  // The strict check comes last, right before the claim and the request.
  const admittedAt = await deps.governor.admit(channel.id, channel.throughputPerSecond, `${message.id}:${Date.now()}`);
  const claimed = await sql(
    em,
    `update message set send_state = 'IN_FLIGHT', send_attempts = send_attempts + 1, send_started_at = ?, updated_at = now()
     where id = ? and status = 'QUEUED' and (send_state = 'PENDING' or send_state is null) returning id`,
    [admittedAt, message.id],
  );
  if (!claimed.length) return { kind: 'done', detail: 'claimed by another worker' };

  try {
    const token = deps.secrets.open(channel.accessTokenEncrypted);
    const { wamid } = await deps.graph.sendMessage(channel.phoneNumberId, token, message.payload);
    await deps.events.publish(await markAccepted(em, message, wamid));
    return { kind: 'done', detail: `sent as ${wamid}` };
  } catch (error) {
    if (error instanceof GraphUnknownOutcomeError) {
      await sql(em, `update message set send_state = 'UNCERTAIN' where id = ? and send_state = 'IN_FLIGHT'`, [message.id]);
      return { kind: 'wait', ms: deps.reconcileMs, reason: error.message };
    }
    const lastAttempt = attempt.made + 1 >= attempt.max;
    if (error instanceof GraphApiError && (error.decision.kind !== 'retry' || lastAttempt)) {
      const code = error.code !== null ? String(error.code) : `HTTP_${error.httpStatus}`;
      await publishAfter(async (tx) => [await markFailed(tx, message, code, error.title, error.details)]);
      return { kind: 'failed', error };
    }
    if (error instanceof GraphApiError || error instanceof GraphUnreachableError) {
      if (lastAttempt) {
        await publishAfter(async (tx) => [await markFailed(tx, message, 'UNREACHABLE', error.message, null)]);
        return { kind: 'failed', error };
      }
      await sql(em, `update message set send_state = 'PENDING' where id = ?`, [message.id]);
      return { kind: 'retry', ms: error instanceof GraphApiError && error.decision.kind === 'retry' ? error.decision.waitMs : 1000, error };
    }
    // Our own fault (e.g. the token cannot be decrypted): not sent, so safe to retry.
    await sql(em, `update message set send_state = 'PENDING' where id = ?`, [message.id]);
    throw error;
  }
}
