import { DriverException } from '@mikro-orm/core';
import type { Logger } from 'pino';
import { DeliveryStatus, type WebhookDelivery } from '../../entities/webhook-delivery.entity';
import { systemEm, type EntityManager } from '../../db/entity-manager';
import { sqlTransaction } from '../../db/sql-transaction';
import type { Orm } from '../../db/orm';
import {
  KNOWN_FIELDS,
  WHATSAPP_OBJECT,
  metaTime,
  parseDelivery,
  type ContactPayload,
  type InboundMessagePayload,
  type StatusPayload,
  type WebhookChange,
} from '../../meta/webhook-payload';
import type { DomainEvent } from '../../pubsub/domain-event';
import type { EventBus } from '../../pubsub/event-bus';
import type { JobQueues } from '../../jobs/job-queues';
import { applyChannelChange, applyTemplateChange } from './business-events.service';
import { deliveryStatementsFor } from './delivery-statements';
import { checkInboundMessage, type InboundChannel } from './inbound-message.service';
import { InboundMessageCommitter } from './message-committer';
import { recordStatus, validateStatus, type ValidStatus } from './message-status.service';
import { applyStatusBatch } from './status-batch.service';
import { withDeferredEvents } from './conversation-log';
import { QuarantineError } from './quarantine-error';
import { IgnoredItem } from './ignored-item';

export interface InboundDeps {
  orm: Orm;
  events: EventBus;
  queues: JobQueues;
  log: Logger;
  /** The worker's group commit for messages, shared by the jobs it runs at once; without it, each call has its own. */
  messages?: InboundMessageCommitter;
}

export type DeliveryIssue = NonNullable<WebhookDelivery['issues']>[number];

export interface ProcessSummary {
  status: DeliveryStatus | 'MISSING';
  messages: number;
  duplicates: number;
  statuses: number;
  issues: DeliveryIssue[];
}

/** Invalid values (SQLSTATE class 22) are a property of the item, not a passing fault: quarantine. */
const isDataError = (error: unknown) => error instanceof DriverException && /^22/.test(String((error as { code?: string }).code));

/**
 * PostgreSQL's own words for a data error. The driver's message starts with the whole statement and
 * its values (long, and full of the customer's text), so the cause would be cut off: keep the tail.
 */
function dataErrorReason(error: DriverException): string {
  const [statementAndMessage = ''] = error.message.split('\n - detail:');
  const cause = statementAndMessage.slice(statementAndMessage.lastIndexOf(' - ') + 3).trim();
  return `invalid value: ${cause.slice(0, 200)} (SQLSTATE ${String(error.code)})`;
}

/**
 * A value of a shape our code cannot handle (a TypeError or RangeError) fails the same way on every
 * retry: it is the item's fault, so it is quarantined rather than holding up the delivery.
 */
const isShapeError = (error: unknown) => error instanceof TypeError || error instanceof RangeError;

/** Any JSON value as text, without calling a hostile `toString` (String({ toString: 1 }) throws). */
const show = (value: unknown) => (typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));

const list = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);

/** Deliveries of one job walked at once: a large batch still finishes soon, without one job taking the whole pool. */
const DELIVERIES_AT_ONCE = 4;

/** What became of one delivery of a batch: its summary, or the error that will make the job retry it. */
export type DeliveryOutcome = { id: string; summary: ProcessSummary } | { id: string; summary?: undefined; error: unknown };

/** One delivery while its batch is processed. */
interface Walk {
  id: string;
  summary: ProcessSummary;
  /** An unexpected failure: the delivery stays RECEIVED and its job is retried. */
  error?: unknown;
  /** Nothing to do (missing, or processed and not replayed): not marked again. */
  untouched?: boolean;
}

interface PendingStatus {
  walk: Walk;
  path: string;
  organizationId: string;
  payload: StatusPayload;
  valid: ValidStatus;
}

type ItemWork = (tx: EntityManager) => Promise<DomainEvent[] | void>;

/**
 * Processes stored deliveries: every entry, change, message, status and error. Business events
 * commit item by item and messages in groups (InboundMessageCommitter), idempotently, so a crash
 * part-way and the replay after it store nothing twice; the statuses of the whole batch are applied
 * together in one transaction. A group or batch that fails is applied again one item at a time, so
 * a malformed item is quarantined with its reason and the items beside it go on. Each delivery
 * succeeds or fails on its own.
 */
export async function processDeliveries(deps: InboundDeps, ids: string[], options: { replay?: boolean } = {}): Promise<DeliveryOutcome[]> {
  const statements = deliveryStatementsFor(deps.orm);
  const rows = await Promise.all(ids.map((id) => statements.load(id)));
  const stored = new Map(rows.filter((row) => row !== null).map((row) => [row.id, row]));
  const channels = new Map<string, Promise<InboundChannel | null>>();
  const channelFor = (phoneNumberId: string) => {
    let channel = channels.get(phoneNumberId);
    if (!channel) channels.set(phoneNumberId, (channel = statements.channel(phoneNumberId)));
    return channel;
  };

  const messages = deps.messages ?? new InboundMessageCommitter(deps);
  const walks = ids.map((id): Walk => ({ id, summary: { status: 'MISSING', messages: 0, duplicates: 0, statuses: 0, issues: [] } }));
  const statuses: PendingStatus[][] = walks.map(() => []);
  let next = 0;
  const lane = async () => {
    while (next < walks.length) {
      const index = next++;
      const walk = walks[index]!;
      const row = stored.get(walk.id);
      if (!row || (row.status === DeliveryStatus.PROCESSED && !options.replay)) {
        walk.untouched = true;
        if (row) walk.summary.status = row.status;
        continue;
      }
      try {
        await walkDelivery(deps, messages, walk, row.raw_body, channelFor, statuses[index]!);
      } catch (error) {
        walk.error = error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DELIVERIES_AT_ONCE, walks.length) }, lane));

  await applyStatuses(deps, statuses.flat().filter((pending) => !pending.walk.error));

  const done = walks.filter((walk) => !walk.error && !walk.untouched);
  await Promise.all(done.map((walk) => statements.markProcessed({ id: walk.id, issues: walk.summary.issues.length ? walk.summary.issues : null })));
  for (const walk of done) walk.summary.status = DeliveryStatus.PROCESSED;
  return walks.map((walk) => (walk.error ? { id: walk.id, error: walk.error } : { id: walk.id, summary: walk.summary }));
}

/**
 * Runs one item (a business event, or a status of a failed batch) in its own transaction, then
 * publishes its events. Returns the issue when the item is ignored or quarantined; any other error
 * is the delivery's, and is thrown.
 */
async function attempt(deps: InboundDeps, walk: Walk, path: string, work: ItemWork): Promise<DeliveryIssue | null> {
  try {
    const events = await systemEm(deps.orm).fork().transactional((tx) => withDeferredEvents(tx, () => work(tx)));
    if (events?.length) await deps.events.publish(events);
    return null;
  } catch (error) {
    const issue = itemIssue(deps, walk.id, path, error);
    if (!issue) throw error;
    return issue;
  }
}

/** What became of one message of a delivery: nothing to note, an issue, or an error that is the delivery's. */
type MessageOutcome = { issue?: DeliveryIssue; fatal?: { error: unknown } };

/** Stores one message through the group commit; never rejects, so it can wait while the walk goes on. */
async function storeMessage(
  deps: InboundDeps,
  messages: InboundMessageCommitter,
  walk: Walk,
  path: string,
  item: { channel: InboundChannel; payload: InboundMessagePayload; profiles: Map<string, ContactPayload> },
): Promise<MessageOutcome> {
  try {
    const { message } = checkInboundMessage(item.payload);
    const result = await messages.store({ channel: item.channel, message, profile: item.profiles.get(message.from) });
    if (result.duplicate) walk.summary.duplicates += 1;
    else walk.summary.messages += 1;
    return {};
  } catch (error) {
    const issue = itemIssue(deps, walk.id, path, error);
    return issue ? { issue } : { fatal: { error } };
  }
}

/** The issue an item's error makes, or null when the error is not the item's fault. */
function itemIssue(deps: InboundDeps, deliveryId: string, path: string, error: unknown): DeliveryIssue | null {
  if (error instanceof IgnoredItem) return { path, kind: 'ignored', reason: error.message.slice(0, 500) };
  if (!(error instanceof QuarantineError || isDataError(error) || isShapeError(error))) return null;
  if (isShapeError(error)) deps.log.warn({ err: error, deliveryId, path }, 'webhook item of an unexpected shape quarantined');
  const reason =
    error instanceof QuarantineError ? error.message
    : isShapeError(error) ? `unexpected shape: ${(error as Error).message}`
    : dataErrorReason(error as DriverException);
  return { path, kind: 'quarantined', reason: reason.slice(0, 500) };
}

/**
 * The statuses of a batch in one transaction; if anything in it fails (one bad value fails the
 * whole statement), each status again on its own, so only the bad one is quarantined.
 */
async function applyStatuses(deps: InboundDeps, pending: PendingStatus[]): Promise<void> {
  if (!pending.length) return;
  try {
    const statuses = pending.map(({ organizationId, valid }) => ({ organizationId, valid }));
    // The batch's events are its last statement, and carry the COMMIT.
    const events = await sqlTransaction(systemEm(deps.orm), (tx) => withDeferredEvents(tx, () => applyStatusBatch(tx, statuses), { last: true }));
    if (events.length) await deps.events.publish(events);
    return;
  } catch (error) {
    deps.log.warn({ err: error, statuses: pending.length }, 'status batch failed; applying its statuses one by one');
  }
  for (const item of pending) {
    if (item.walk.error) continue; // an earlier status of this delivery failed: it is retried whole
    try {
      const issue = await attempt(deps, item.walk, item.path, (tx) => recordStatus(tx, item.organizationId, item.payload));
      if (issue) item.walk.summary.issues.push(issue);
    } catch (error) {
      item.walk.error = error;
    }
  }
}

/**
 * Walks one delivery: business events are processed now, statuses collected for the batch, and
 * messages handed to the group commit all at once (it keeps each conversation's messages in this
 * order), to share transactions with each other and with other deliveries'. Issues are noted in
 * the order of the items.
 */
async function walkDelivery(
  deps: InboundDeps,
  messages: InboundMessageCommitter,
  walk: Walk,
  rawBody: string,
  channelFor: (phoneNumberId: string) => Promise<InboundChannel | null>,
  statuses: PendingStatus[],
): Promise<void> {
  const envelope = parseDelivery(rawBody);
  if (envelope.object !== WHATSAPP_OBJECT) return;
  const noted: Noted[] = [];
  let failure: { error: unknown } | undefined;
  try {
    await walkItems(deps, messages, walk, envelope, channelFor, statuses, noted);
  } catch (error) {
    failure = { error };
  }
  // Every message handed over is waited for, even when the walk stopped early: none is left running.
  for (const item of noted) {
    const outcome = item instanceof Promise ? await item : { issue: item };
    if (outcome.issue) walk.summary.issues.push(outcome.issue);
    failure ??= outcome.fatal;
  }
  if (failure) throw failure.error;
}

/** An issue found now, or a message's outcome to come. */
type Noted = DeliveryIssue | Promise<MessageOutcome>;

/** Every entry, change and item of a delivery, in order. */
async function walkItems(
  deps: InboundDeps,
  messages: InboundMessageCommitter,
  walk: Walk,
  envelope: ReturnType<typeof parseDelivery>,
  channelFor: (phoneNumberId: string) => Promise<InboundChannel | null>,
  statuses: PendingStatus[],
  noted: Noted[],
): Promise<void> {
  for (const [e, entry] of list<Record<string, unknown>>(envelope.entry).entries()) {
    for (const [c, change] of list<WebhookChange>(entry?.changes).entries()) {
      const path = `entry[${e}].changes[${c}]`;
      const field = typeof change?.field === 'string' ? change.field : '';
      const value = change?.value && typeof change.value === 'object' ? change.value : null;
      if (!KNOWN_FIELDS.has(field)) {
        noted.push({ path, kind: 'ignored', reason: `field "${field}" is not handled` });
        continue;
      }
      if (!value) {
        noted.push({ path, kind: 'quarantined', reason: 'change has no value' });
        continue;
      }
      if (field !== 'messages') {
        const wabaId = typeof entry?.id === 'string' ? entry.id : null;
        if (!wabaId) {
          noted.push({ path, kind: 'quarantined', reason: 'entry has no WABA id' });
          continue;
        }
        const at = metaTime(entry?.time);
        const issue = await attempt(deps, walk, path, (tx) =>
          field === 'phone_number_quality_update' || field === 'account_update'
            ? applyChannelChange(tx, wabaId, field, value, at)
            : applyTemplateChange(tx, wabaId, field, value, at),
        );
        if (issue) noted.push(issue);
        continue;
      }

      const metadata = value.metadata as { phone_number_id?: unknown } | undefined;
      const phoneNumberId = typeof metadata?.phone_number_id === 'string' ? metadata.phone_number_id : null;
      const channel = phoneNumberId ? await channelFor(phoneNumberId) : null;
      if (!channel) {
        const reason = phoneNumberId ? `no channel has phone_number_id ${phoneNumberId}` : 'change has no metadata.phone_number_id';
        noted.push({ path, kind: 'ignored', reason });
        continue;
      }
      // Contacts are joined to messages by wa_id, never by position.
      const profiles = new Map(list<ContactPayload>(value.contacts).filter((c) => c?.wa_id).map((c) => [c.wa_id!, c]));
      for (const [m, payload] of list<InboundMessagePayload>(value.messages).entries()) {
        noted.push(storeMessage(deps, messages, walk, `${path}.value.messages[${m}]`, { channel, payload, profiles }));
      }
      for (const [s, status] of list<StatusPayload>(value.statuses).entries()) {
        const statusPath = `${path}.value.statuses[${s}]`;
        try {
          if (!status || typeof status !== 'object') throw new QuarantineError('status is not an object');
          walk.summary.statuses += 1;
          statuses.push({ walk, path: statusPath, organizationId: channel.organization.id, payload: status, valid: validateStatus(status) });
        } catch (error) {
          const issue = itemIssue(deps, walk.id, statusPath, error);
          if (!issue) throw error;
          noted.push(issue);
        }
      }
      for (const [x, error] of list<{ code?: unknown; title?: unknown }>(value.errors).entries()) {
        // System-level errors from Meta (e.g. 130429): kept with the delivery and logged for operators.
        const reason = `Meta error ${show(error?.code)}: ${show(error?.title ?? '')}`.slice(0, 500);
        noted.push({ path: `${path}.value.errors[${x}]`, kind: 'ignored', reason });
        deps.log.warn({ deliveryId: walk.id, channelId: channel.id, metaError: error }, 'Meta reported an error in a webhook');
      }
    }
  }
}
