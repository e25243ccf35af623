import { randomUUID } from 'node:crypto';
import { ConversationEventType } from '../../entities/conversation-event.entity';
import type { EntityManager } from '../../db/entity-manager';
import { jsonRows, jsonRowsValues, jsonb, sql } from '../../db/sql';
import { MessageStatus, advanceStatus } from '../../domain/message-status';
import { safeJson } from '../../domain/safe-text';
import { appendEventBatch, type EventDraft, type EventEntry } from './conversation-log';
import { TIME_COLUMN, codeOf, type ValidStatus } from './message-status.service';

interface LockedMessage {
  id: string;
  wamid: string | null;
  conversation_id: string;
  organization_id: string;
  direction: string;
  status: MessageStatus;
}

/** One message's new values; the SQL keeps a time already set and an error or pricing not reported again. */
interface MessagePatch {
  id: string;
  status: MessageStatus;
  sent_at?: Date;
  delivered_at?: Date;
  read_at?: Date;
  played_at?: Date;
  failed_at?: Date;
  error_code?: string | null;
  error_title?: string | null;
  error_details?: string | null;
  pricing_category?: string | null;
  pricing_model?: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * Records and applies many statuses in a handful of statements, with the meaning of applying each
 * one by one in the order given (`recordStatus`): once per (wamid, status), monotonic, parked when
 * the message is unknown, reconciled through `biz_opaque_callback_data`. Each reply brings three
 * statuses, so this is most of what the webhook carries; statement by statement it cost more than
 * the message it reports on. Every status must have passed `validateStatus`. Runs in the caller's
 * transaction; locks are taken in a fixed order (status keys, then message ids) so concurrent
 * batches queue behind each other instead of deadlocking.
 */
export async function applyStatusBatch(em: EntityManager, items: { organizationId: string; valid: ValidStatus }[]): Promise<EventDraft[]> {
  // A (wamid, status) repeated within the batch is a duplicate delivery, like one already stored.
  const firsts = new Map<string, { organizationId: string; valid: ValidStatus; id: string }>();
  for (const item of items) {
    const key = `${item.valid.wamid}\u0000${item.valid.status}`;
    if (!firsts.has(key)) firsts.set(key, { ...item, id: randomUUID() });
  }
  if (!firsts.size) return [];
  const rows = [...firsts.values()]
    .map(({ id, organizationId, valid }) => ({
      id,
      organization_id: organizationId,
      wamid: valid.wamid,
      status: valid.status,
      occurred_at: valid.at,
      payload: safeJson(valid.payload),
    }))
    .sort((a, b) => (a.wamid < b.wamid ? -1 : a.wamid > b.wamid ? 1 : a.status < b.status ? -1 : a.status > b.status ? 1 : 0));
  const inserted = await sql<{ id: string }>(
    em,
    `insert into message_status_update (id, created_at, updated_at, organization_id, wamid, status, occurred_at, payload)
     select x.id, now(), now(), x.organization_id, x.wamid, x.status::message_status, x.occurred_at, x.payload
     from jsonb_to_recordset(?::jsonb) as x(id uuid, organization_id uuid, wamid text, status text, occurred_at timestamptz, payload jsonb)
     on conflict (wamid, status) do nothing
     returning id`,
    [jsonb(rows)],
    { prepared: true },
  );
  const fresh = new Set(inserted.map((row) => row.id));
  const updates = [...firsts.values()].filter((update) => fresh.has(update.id));
  if (!updates.length) return [];

  const wamids = [...new Set(updates.map((update) => update.valid.wamid))];
  const callbackIds = [...new Set(updates.map((update) => update.valid.callbackId).filter((id): id is string => !!id && UUID.test(id)))];
  const locked = await sql<LockedMessage>(
    em,
    `select id, wamid, conversation_id, organization_id, direction, status from message
     where wamid in (?)${callbackIds.length ? ' or (id in (?) and wamid is null)' : ''}
     order by id for update`,
    callbackIds.length ? [wamids, callbackIds] : [wamids],
  );
  const byWamid = new Map(locked.filter((row) => row.wamid).map((row) => [row.wamid!, row]));
  const byId = new Map(locked.map((row) => [row.id, row]));

  // A send whose answer never came has no wamid yet: the first status naming it tells us which.
  const reconciled: { id: string; wamid: string }[] = [];
  for (const { organizationId, valid } of updates) {
    if (byWamid.has(valid.wamid) || !valid.callbackId) continue;
    const row = byId.get(valid.callbackId);
    if (!row || row.wamid || row.organization_id !== organizationId || row.direction !== 'OUT') continue;
    row.wamid = valid.wamid;
    byWamid.set(valid.wamid, row);
    reconciled.push({ id: row.id, wamid: valid.wamid });
  }
  if (reconciled.length) {
    await sql(
      em,
      `update message m set wamid = v.wamid, send_state = 'DONE', sent_at = coalesce(m.sent_at, now()), updated_at = now()
       from ${jsonRows('id uuid, wamid text')} as v where m.id = v.id and m.wamid is null`,
      jsonRowsValues(reconciled),
      { prepared: true },
    );
  }

  const patches = new Map<string, MessagePatch>();
  const applied: string[] = [];
  const events: EventEntry[] = [];
  for (const { id, organizationId, valid } of updates) {
    const message = byWamid.get(valid.wamid);
    if (!message || message.organization_id !== organizationId) continue; // parked until the message has this wamid
    const previous = message.status;
    const next = advanceStatus(previous, valid.status);
    const patch = patches.get(message.id) ?? { id: message.id, status: next };
    patch.status = next;
    const column = TIME_COLUMN[valid.status] as keyof MessagePatch | undefined;
    if (column && patch[column] === undefined) (patch as unknown as Record<string, unknown>)[column] = valid.at;
    // A failure reported after delivery does not fail the message, so it does not show an error either.
    const error = next === MessageStatus.FAILED ? valid.payload.errors?.[0] : undefined;
    if (error) {
      patch.error_code = codeOf(error) ?? patch.error_code ?? null;
      patch.error_title = str(error.title ?? error.message) ?? patch.error_title ?? null;
      patch.error_details = str(error.error_data?.details) ?? patch.error_details ?? null;
    }
    const pricing = valid.payload.pricing;
    patch.pricing_category = str(pricing?.category) ?? patch.pricing_category ?? null;
    patch.pricing_model = str(pricing?.pricing_model) ?? patch.pricing_model ?? null;
    patches.set(message.id, patch);
    applied.push(id);
    message.status = next;
    // Meta's `sent` after our own acceptance repeats what the log already says (see applyUpdate).
    if (valid.status === previous) continue;
    events.push({
      organizationId: message.organization_id,
      conversationId: message.conversation_id,
      type: ConversationEventType.MESSAGE_STATUS_CHANGED,
      data: {
        messageId: message.id,
        reported: valid.status,
        status: next,
        at: valid.at.toISOString(),
        ...(error ? { errorCode: codeOf(error) ?? '' } : {}),
      },
    });
  }
  if (!applied.length) return [];

  await sql(
    em,
    `update message m set
       status = v.status::message_status,
       sent_at = coalesce(m.sent_at, v.sent_at),
       delivered_at = coalesce(m.delivered_at, v.delivered_at),
       read_at = coalesce(m.read_at, v.read_at),
       played_at = coalesce(m.played_at, v.played_at),
       failed_at = coalesce(m.failed_at, v.failed_at),
       error_code = coalesce(v.error_code, m.error_code),
       error_title = coalesce(v.error_title, m.error_title),
       error_details = coalesce(v.error_details, m.error_details),
       pricing_category = coalesce(v.pricing_category, m.pricing_category),
       pricing_model = coalesce(v.pricing_model, m.pricing_model),
       updated_at = now()
     from ${jsonRows(`id uuid, status text, sent_at timestamptz, delivered_at timestamptz, read_at timestamptz,
       played_at timestamptz, failed_at timestamptz, error_code text, error_title text, error_details text,
       pricing_category text, pricing_model text`)} as v
     where m.id = v.id`,
    jsonRowsValues([...patches.values()]),
    { prepared: true },
  );
  await sql(em, `update message_status_update set applied_at = now(), updated_at = now() where id in (?)`, [applied]);
  return appendEventBatch(em, events);
}

