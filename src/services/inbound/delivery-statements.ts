import type { DeliveryStatus, WebhookDelivery } from '../../entities/webhook-delivery.entity';
import { systemEm, type EntityManager } from '../../db/entity-manager';
import { perOrm, type Orm } from '../../db/orm';
import { arrayLiteral } from '../../db/pg-array';
import { jsonRows, jsonRowsValues, sql } from '../../db/sql';
import { StatementBatcher } from '../../db/statement-batcher';
import type { InboundChannel } from './inbound-message.service';

export interface StoredDelivery {
  id: string;
  status: DeliveryStatus;
  raw_body: string;
}

/** A delivery walked without an error, to mark PROCESSED with what was noted about its items. */
export interface ProcessedDelivery {
  id: string;
  issues: NonNullable<WebhookDelivery['issues']> | null;
}

async function loadDeliveries(em: EntityManager, ids: string[]): Promise<(StoredDelivery | null)[]> {
  const rows = await sql<StoredDelivery>(em, 'select id, status, raw_body from webhook_delivery where id = any(?::uuid[])', [arrayLiteral(ids)], { prepared: true });
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => byId.get(id) ?? null);
}

async function findChannels(em: EntityManager, phoneNumberIds: string[]): Promise<(InboundChannel | null)[]> {
  const rows = await sql<{ id: string; organization_id: string; phone_number_id: string }>(
    em,
    'select id, organization_id, phone_number_id from channel where phone_number_id = any(?::text[])',
    [arrayLiteral(phoneNumberIds)],
    { prepared: true },
  );
  const byNumber = new Map(rows.map((row) => [row.phone_number_id, { id: row.id, organization: { id: row.organization_id } }]));
  return phoneNumberIds.map((phoneNumberId) => byNumber.get(phoneNumberId) ?? null);
}

async function markProcessed(em: EntityManager, deliveries: ProcessedDelivery[]): Promise<void[]> {
  await sql(
    em,
    `update webhook_delivery d set status = 'PROCESSED', processed_at = now(), attempts = d.attempts + 1, last_error = null, issues = v.issues
     from ${jsonRows('id uuid, issues jsonb')} as v where d.id = v.id`,
    jsonRowsValues(deliveries),
    { prepared: true },
  );
  return deliveries.map(() => undefined);
}

/** Channels remembered by phone number id at most (see DeliveryStatements.channel). */
const MAX_KNOWN_CHANNELS = 100_000;

/**
 * The webhook worker's statements per delivery job (read its deliveries, find their channels, mark
 * them processed), each shared by the jobs that run at the same moment (StatementBatcher). A job
 * holds a few deliveries, and alone each statement cost a round trip to PostgreSQL whatever it
 * carried: under load they were a third of the worker's statements.
 */
export class DeliveryStatements {
  private readonly loads: StatementBatcher<string, StoredDelivery | null>;
  private readonly channels: StatementBatcher<string, InboundChannel | null>;
  private readonly processed: StatementBatcher<ProcessedDelivery, void>;
  private readonly knownChannels = new Map<string, InboundChannel>();

  constructor(orm: Orm) {
    const em = systemEm(orm);
    this.loads = new StatementBatcher((ids) => loadDeliveries(em, ids));
    this.channels = new StatementBatcher((numbers) => findChannels(em, numbers));
    this.processed = new StatementBatcher((deliveries) => markProcessed(em, deliveries));
  }

  /** The stored delivery, or null when there is none with this id. */
  load(id: string): Promise<StoredDelivery | null> {
    return this.loads.submit(id);
  }

  /**
   * The channel Meta's phone number id belongs to, or null when it is not ours. A channel's phone
   * number id and organization never change and channels are not deleted (no mutation does either),
   * so a channel found once is remembered: every delivery asked for its channel, a round trip that
   * cost more than the lookup. A number not ours is asked again each time, as its channel may be
   * created meanwhile.
   */
  async channel(phoneNumberId: string): Promise<InboundChannel | null> {
    const known = this.knownChannels.get(phoneNumberId);
    if (known) return known;
    const found = await this.channels.submit(phoneNumberId);
    if (found) {
      // A bound, not a policy: only registered channels get here, far fewer than this.
      if (this.knownChannels.size >= MAX_KNOWN_CHANNELS) this.knownChannels.clear();
      this.knownChannels.set(phoneNumberId, found);
    }
    return found;
  }

  markProcessed(delivery: ProcessedDelivery): Promise<void> {
    return this.processed.submit(delivery);
  }
}

/** The process's delivery statements for this database. */
export const deliveryStatementsFor = perOrm((orm) => new DeliveryStatements(orm));
