import type { Logger } from 'pino';
import { ConversationEventType } from '../../entities/conversation-event.entity';
import { SendState } from '../../entities/message.entity';
import { systemEm, type EntityManager } from '../../db/entity-manager';
import type { Orm } from '../../db/orm';
import { sql } from '../../db/sql';
import type { SecretBox } from '../../auth/secret-box';
import { MessageStatus } from '../../domain/message-status';
import type { GraphApiClient } from '../../meta/graph-api.client';
import { GraphApiError, GraphUnknownOutcomeError, GraphUnreachableError } from '../../meta/graph-api.errors';
import type { EventBus } from '../../pubsub/event-bus';
import { appendEvent, type EventDraft } from '../inbound/conversation-log';
import { applyParkedStatuses } from '../inbound/message-status.service';
import type { SendGovernor } from './send-governor';
import { sendStatementsFor, type OutgoingMessage } from './send-statements';

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
 * Meta took the message: it is SENT with its wamid, and the log says so (one statement shared with
 * the sends recorded at the same moment). Statuses that arrived before the wamid was known (parked)
 * are applied after it, in a transaction of their own.
 */
async function markAccepted(deps: DeliverDeps, message: OutgoingMessage, wamid: string): Promise<EventDraft[]> {
  const data = { messageId: message.id, status: MessageStatus.SENT, wamid };
  const { loggedAt, parked } = await sendStatementsFor(deps.orm).accept({ message, wamid, data });
  // Only the move out of QUEUED is news; a status webhook that got here first has logged its own.
  const accepted: EventDraft[] = loggedAt
    ? [
        {
          kind: 'conversation',
          organizationId: message.organizationId,
          conversationId: message.conversationId,
          cursor: '',
          type: ConversationEventType.MESSAGE_STATUS_CHANGED,
          data,
          at: loggedAt.toISOString(),
        },
      ]
    : [];
  if (!parked) return accepted;
  return [...accepted, ...(await systemEm(deps.orm).fork().transactional((tx) => applyParkedStatuses(tx, message.id, wamid)))];
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
  const statements = sendStatementsFor(deps.orm);
  const message = await statements.load(messageId);
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
  const sendId = `${message.id}:${Date.now()}`;
  const slot = await deps.governor.takeAndAdmit(channel.id, channel.throughputPerSecond, message.recipient, sendId);
  if (!slot.reserved) return { kind: 'wait', ms: slot.waitMs, reason: 'channel or recipient rate limit' };
  // Our slot at the channel's rate: hold it here rather than give it up.
  if (slot.waitMs > 0) await sleep(slot.waitMs);

  // The strict check comes last, right before the claim and the request (made with the slot when it was free at once).
  const admittedAt = slot.admittedAt ?? (await deps.governor.admit(channel.id, channel.throughputPerSecond, sendId));
  if (!(await statements.claim(message.id, admittedAt))) return { kind: 'done', detail: 'claimed by another worker' };

  let wamid: string;
  try {
    const token = deps.secrets.open(channel.accessTokenEncrypted);
    ({ wamid } = await deps.graph.sendMessage(channel.phoneNumberId, token, message.payload));
  } catch (error) {
    if (error instanceof GraphUnknownOutcomeError) {
      deps.log.warn({ messageId, err: error }, 'send outcome unknown; waiting for its status webhook before sending again');
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
  // Sent: if recording it fails, the message stays IN_FLIGHT, so the retry waits for Meta's status
  // webhook (which carries our message id) instead of sending it a second time.
  await deps.events.publish(await markAccepted(deps, message, wamid));
  return { kind: 'done', detail: `sent as ${wamid}` };
}
