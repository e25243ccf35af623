import { DriverException } from '@mikro-orm/core';
import type { Logger } from 'pino';
import { Channel } from '../../entities/channel.entity';
import { DeliveryStatus, WebhookDelivery } from '../../entities/webhook-delivery.entity';
import { systemEm, type EntityManager } from '../../db/entity-manager';
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
import { dispatchBotTurn } from '../flows/bot-dispatch';
import type { BotTurn } from '../flows/bot-runtime.service';
import { applyChannelChange, applyTemplateChange } from './business-events.service';
import { storeInboundMessage } from './inbound-message.service';
import { recordStatus } from './message-status.service';
import { QuarantineError } from './quarantine-error';
import { IgnoredItem } from './ignored-item';

export interface InboundDeps {
  orm: Orm;
  events: EventBus;
  queues: JobQueues;
  log: Logger;
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

/**
 * Processes one stored delivery: every entry, change, message, status and error. Each item commits
 * on its own, idempotently, so a crash part-way and the replay after it store nothing twice; a
 * malformed item is quarantined with its reason and the items beside it go on.
 */
export async function processDelivery(deps: InboundDeps, deliveryId: string, options: { replay?: boolean } = {}): Promise<ProcessSummary> {
  const em = systemEm(deps.orm);
  const delivery = await em.findOne(WebhookDelivery, { id: deliveryId });
  const summary: ProcessSummary = { status: 'MISSING', messages: 0, duplicates: 0, statuses: 0, issues: [] };
  if (!delivery) return summary;
  if (delivery.status === DeliveryStatus.PROCESSED && !options.replay) return { ...summary, status: delivery.status };

  const envelope = parseDelivery(delivery.rawBody);
  const channels = new Map<string, Channel | null>();
  const channelFor = async (phoneNumberId: string) => {
    if (!channels.has(phoneNumberId)) channels.set(phoneNumberId, await em.findOne(Channel, { phoneNumberId }));
    return channels.get(phoneNumberId)!;
  };

  const attempt = async (path: string, work: (tx: EntityManager, bot: BotTurn[]) => Promise<DomainEvent[] | void>) => {
    try {
      const turns: BotTurn[] = [];
      const events = await em.fork().transactional(async (tx) => work(tx, turns));
      if (events?.length) await deps.events.publish(events);
      for (const turn of turns) await dispatchBotTurn(deps.queues, deps.events, turn);
    } catch (error) {
      if (error instanceof IgnoredItem) {
        summary.issues.push({ path, kind: 'ignored', reason: error.message.slice(0, 500) });
        return;
      }
      if (error instanceof QuarantineError || isDataError(error) || isShapeError(error)) {
        if (isShapeError(error)) deps.log.warn({ err: error, deliveryId, path }, 'webhook item of an unexpected shape quarantined');
        const reason =
          error instanceof QuarantineError ? error.message
          : isShapeError(error) ? `unexpected shape: ${(error as Error).message}`
          : dataErrorReason(error as DriverException);
        summary.issues.push({ path, kind: 'quarantined', reason: reason.slice(0, 500) });
        return;
      }
      throw error;
    }
  };

  if (envelope.object === WHATSAPP_OBJECT) {
    for (const [e, entry] of list<Record<string, unknown>>(envelope.entry).entries()) {
      for (const [c, change] of list<WebhookChange>(entry?.changes).entries()) {
        const path = `entry[${e}].changes[${c}]`;
        const field = typeof change?.field === 'string' ? change.field : '';
        const value = change?.value && typeof change.value === 'object' ? change.value : null;
        if (!KNOWN_FIELDS.has(field)) {
          summary.issues.push({ path, kind: 'ignored', reason: `field "${field}" is not handled` });
          continue;
        }
        if (!value) {
          summary.issues.push({ path, kind: 'quarantined', reason: 'change has no value' });
          continue;
        }
        if (field !== 'messages') {
          const wabaId = typeof entry?.id === 'string' ? entry.id : null;
          if (!wabaId) {
            summary.issues.push({ path, kind: 'quarantined', reason: 'entry has no WABA id' });
            continue;
          }
          const at = metaTime(entry?.time);
          await attempt(path, (tx) =>
            field === 'phone_number_quality_update' || field === 'account_update'
              ? applyChannelChange(tx, wabaId, field, value, at)
              : applyTemplateChange(tx, wabaId, field, value, at),
          );
          continue;
        }

        const metadata = value.metadata as { phone_number_id?: unknown } | undefined;
        const phoneNumberId = typeof metadata?.phone_number_id === 'string' ? metadata.phone_number_id : null;
        const channel = phoneNumberId ? await channelFor(phoneNumberId) : null;
        if (!channel) {
          const reason = phoneNumberId ? `no channel has phone_number_id ${phoneNumberId}` : 'change has no metadata.phone_number_id';
          summary.issues.push({ path, kind: 'ignored', reason });
          continue;
        }
        // Contacts are joined to messages by wa_id, never by position.
        const profiles = new Map(list<ContactPayload>(value.contacts).filter((c) => c?.wa_id).map((c) => [c.wa_id!, c]));
        for (const [m, message] of list<InboundMessagePayload>(value.messages).entries()) {
          await attempt(`${path}.value.messages[${m}]`, async (tx, turns) => {
            if (!message || typeof message !== 'object') throw new QuarantineError('message is not an object');
            const result = await storeInboundMessage(tx, channel, message, profiles.get(message.from ?? ''));
            if (result.duplicate) summary.duplicates += 1;
            else summary.messages += 1;
            if (result.bot) turns.push(result.bot);
            return result.events;
          });
        }
        for (const [s, status] of list<StatusPayload>(value.statuses).entries()) {
          await attempt(`${path}.value.statuses[${s}]`, async (tx) => {
            if (!status || typeof status !== 'object') throw new QuarantineError('status is not an object');
            summary.statuses += 1;
            return recordStatus(tx, channel.organization.id, status);
          });
        }
        for (const [x, error] of list<{ code?: unknown; title?: unknown }>(value.errors).entries()) {
          // System-level errors from Meta (e.g. 130429): kept with the delivery and logged for operators.
          const reason = `Meta error ${show(error?.code)}: ${show(error?.title ?? '')}`.slice(0, 500);
          summary.issues.push({ path: `${path}.value.errors[${x}]`, kind: 'ignored', reason });
          deps.log.warn({ deliveryId, channelId: channel.id, metaError: error }, 'Meta reported an error in a webhook');
        }
      }
    }
  }

  delivery.status = DeliveryStatus.PROCESSED;
  delivery.processedAt = new Date();
  delivery.attempts += 1;
  delivery.lastError = null;
  delivery.issues = summary.issues.length ? summary.issues : null;
  await em.flush();
  summary.status = delivery.status;
  return summary;
}
