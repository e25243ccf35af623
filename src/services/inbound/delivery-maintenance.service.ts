import { DeliveryStatus, WebhookDelivery } from '../../entities/webhook-delivery.entity';
import type { EntityManager } from '../../db/entity-manager';
import type { JobQueues } from '../../jobs/job-queues';

/** A delivery still RECEIVED this long after arrival has lost its job (crash, Redis restart). */
export const SWEEP_AFTER_MS = 60_000;
const SWEEP_BATCH = 1000;

/**
 * Re-drives stored deliveries that were never processed. The job id is the delivery id, so a
 * delivery whose job still exists is not enqueued twice.
 */
export async function sweepDeliveries(em: EntityManager, queues: JobQueues, olderThanMs = SWEEP_AFTER_MS): Promise<number> {
  const stale = await em.find(
    WebhookDelivery,
    { status: DeliveryStatus.RECEIVED, receivedAt: { $lt: new Date(Date.now() - olderThanMs) } },
    { fields: ['id'], orderBy: { receivedAt: 'asc' }, limit: SWEEP_BATCH },
  );
  if (!stale.length) return 0;
  await queues.get('webhook').addBulk(
    stale.map(({ id }) => ({ name: 'process-delivery', data: { deliveryId: id }, opts: { jobId: id } })),
  );
  return stale.length;
}

/** After the last retry: the delivery is FAILED with the error, for an operator to replay. */
export async function markDeliveryFailed(em: EntityManager, deliveryId: string, error: string): Promise<void> {
  await em.nativeUpdate(
    WebhookDelivery,
    { id: deliveryId, status: DeliveryStatus.RECEIVED },
    { status: DeliveryStatus.FAILED, lastError: error.slice(0, 2000) },
  );
}

/** Re-processes deliveries (idempotent by design). A fresh job id, since the first job may be retained. */
export async function replayDeliveries(em: EntityManager, queues: JobQueues, ids: string[]): Promise<number> {
  const found = await em.find(WebhookDelivery, { id: { $in: ids } }, { fields: ['id'] });
  if (!found.length) return 0;
  await em.nativeUpdate(WebhookDelivery, { id: { $in: found.map((d) => d.id) }, status: DeliveryStatus.FAILED }, { status: DeliveryStatus.RECEIVED });
  const stamp = Date.now();
  await queues.get('webhook').addBulk(
    found.map(({ id }) => ({ name: 'process-delivery', data: { deliveryId: id, replay: true }, opts: { jobId: `replay-${id}-${stamp}` } })),
  );
  return found.length;
}
