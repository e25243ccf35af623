import { randomUUID } from 'node:crypto';
import { ConversationEventType } from '../../entities/conversation-event.entity';
import type { EntityManager } from '../../db/entity-manager';
import { jsonb, sql } from '../../db/sql';
import { META_STATUSES, MessageStatus, advanceStatus } from '../../domain/message-status';
import { safeJson } from '../../domain/safe-text';
import { metaTime, type MetaError, type StatusPayload } from '../../meta/webhook-payload';
import { appendEvent, type EventDraft } from './conversation-log';
import { QuarantineError } from './quarantine-error';

/** The message column that records when each status happened. */
export const TIME_COLUMN: Partial<Record<MessageStatus, string>> = {
  SENT: 'sent_at',
  DELIVERED: 'delivered_at',
  READ: 'read_at',
  PLAYED: 'played_at',
  FAILED: 'failed_at',
};

/** Meta's error code as text; null unless it is a number or a string (the payload is untrusted). */
export const codeOf = (error: MetaError | undefined): string | null =>
  typeof error?.code === 'number' || typeof error?.code === 'string' ? String(error.code) : null;

interface MessageRow {
  id: string;
  conversation_id: string;
  organization_id: string;
  status: MessageStatus;
}

interface UpdateRow {
  id: string;
  status: MessageStatus;
  occurred_at: Date;
  payload: StatusPayload;
}

/**
 * Applies one recorded status to its message: the status only moves forward, each transition's
 * time is kept, a failure keeps Meta's code, title and details, and pricing is kept.
 */
async function applyUpdate(em: EntityManager, message: MessageRow, update: UpdateRow): Promise<EventDraft | null> {
  const previous = message.status;
  const next = advanceStatus(message.status, update.status);
  const column = TIME_COLUMN[update.status];
  // A failure reported after delivery does not fail the message, so it does not show an error either.
  const error = next === MessageStatus.FAILED ? update.payload.errors?.[0] : undefined;
  const pricing = update.payload.pricing;
  await sql(
    em,
    `update message set
       status = ?::message_status,
       ${column} = coalesce(${column}, ?),
       error_code = coalesce(?, error_code),
       error_title = coalesce(?, error_title),
       error_details = coalesce(?, error_details),
       pricing_category = coalesce(?, pricing_category),
       pricing_model = coalesce(?, pricing_model),
       updated_at = now()
     where id = ?`,
    [
      next,
      update.occurred_at,
      codeOf(error),
      error ? (error.title ?? error.message ?? null) : null,
      error?.error_data?.details ?? null,
      typeof pricing?.category === 'string' ? pricing.category : null,
      typeof pricing?.pricing_model === 'string' ? pricing.pricing_model : null,
      message.id,
    ],
  );
  await sql(em, `update message_status_update set applied_at = now(), updated_at = now() where id = ?`, [update.id]);
  message.status = next;
  // Meta's `sent` after our own acceptance repeats what the log already says: kept for its time and
  // pricing, not logged again. A late report that does not apply (failed after delivered) is still news.
  if (update.status === previous) return null;
  return appendEvent(em, message.organization_id, message.conversation_id, ConversationEventType.MESSAGE_STATUS_CHANGED, {
    messageId: message.id,
    reported: update.status,
    status: next,
    at: update.occurred_at.toISOString(),
    ...(error ? { errorCode: codeOf(error) ?? '' } : {}),
  });
}

const lockMessage = async (em: EntityManager, where: string, value: string) =>
  (await sql<MessageRow>(em, `select id, conversation_id, organization_id, status from message where ${where} = ? for update`, [value]))[0];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Meta echoes our message id as `biz_opaque_callback_data`. A send whose HTTP answer never came
 * (timeout, crash) has no wamid yet: the first status of it tells us the wamid and that it left.
 */
async function reconcile(em: EntityManager, organizationId: string, messageId: string, wamid: string): Promise<void> {
  if (!UUID.test(messageId)) return;
  await sql(
    em,
    `update message set wamid = ?, send_state = 'DONE', sent_at = coalesce(sent_at, now()), updated_at = now()
     where id = ? and organization_id = ? and direction = 'OUT' and wamid is null`,
    [wamid, messageId, organizationId],
  );
}

/** A status webhook item that has what applying it needs; the payload is untrusted, so everything is checked. */
export interface ValidStatus {
  wamid: string;
  status: MessageStatus;
  at: Date;
  /** `biz_opaque_callback_data`: our message id, echoed by Meta. */
  callbackId: string | null;
  payload: StatusPayload;
}

/** Checks one status item; a malformed one is quarantined with the reason. */
export function validateStatus(status: StatusPayload): ValidStatus {
  const mapped = typeof status.status === 'string' ? META_STATUSES[status.status] : undefined;
  const at = metaTime(status.timestamp);
  if (typeof status.id !== 'string' || !status.id) throw new QuarantineError('status has no message id');
  if (!mapped) throw new QuarantineError(`unknown status ${JSON.stringify(status.status) ?? 'undefined'}`.slice(0, 200));
  if (!at) throw new QuarantineError('status has no valid timestamp');
  const callbackId = typeof status.biz_opaque_callback_data === 'string' ? status.biz_opaque_callback_data : null;
  return { wamid: status.id, status: mapped, at, callbackId, payload: status };
}

/**
 * Records a status webhook once per (wamid, status) and applies it, or parks it when the message
 * is not known yet (it is applied by `applyParkedStatuses` when the message gets its wamid).
 * One at a time: the webhook worker applies statuses in batches (`applyStatusBatch`) and comes
 * here for the items of a batch that failed, to quarantine exactly the bad one.
 */
export async function recordStatus(em: EntityManager, organizationId: string, status: StatusPayload): Promise<EventDraft[]> {
  const valid = validateStatus(status);
  const [update] = await sql<UpdateRow>(
    em,
    `insert into message_status_update (id, created_at, updated_at, organization_id, wamid, status, occurred_at, payload)
     values (?, now(), now(), ?, ?, ?, ?, ?::jsonb)
     on conflict (wamid, status) do nothing
     returning id, status, occurred_at, payload`,
    [randomUUID(), organizationId, valid.wamid, valid.status, valid.at, jsonb(safeJson(status))],
  );
  if (!update) return []; // duplicate delivery of the same status
  if (valid.callbackId) await reconcile(em, organizationId, valid.callbackId, valid.wamid);
  const message = await lockMessage(em, 'wamid', valid.wamid);
  if (!message || message.organization_id !== organizationId) return []; // parked
  const event = await applyUpdate(em, message, { ...update, occurred_at: new Date(update.occurred_at) });
  return event ? [event] : [];
}

/** Applies statuses that arrived before the message had its wamid, oldest first. */
export async function applyParkedStatuses(em: EntityManager, messageId: string, wamid: string): Promise<EventDraft[]> {
  const message = await lockMessage(em, 'id', messageId);
  if (!message) return [];
  const parked = await sql<UpdateRow>(
    em,
    `select id, status, occurred_at, payload from message_status_update
     where wamid = ? and organization_id = ? and applied_at is null order by occurred_at, created_at`,
    [wamid, message.organization_id],
  );
  const events: EventDraft[] = [];
  for (const update of parked) {
    const event = await applyUpdate(em, message, { ...update, occurred_at: new Date(update.occurred_at) });
    if (event) events.push(event);
  }
  return events;
}
