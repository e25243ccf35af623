import { DeliveryStatus, WebhookDelivery } from '../../entities/webhook-delivery.entity';
import type { EntityManager } from '../../db/entity-manager';
import type { JobQueues } from '../../jobs/job-queues';

/** A delivery still RECEIVED this long after arrival has lost its job (crash, Redis restart). */
export const SWEEP_AFTER_MS = 60_000;
const SWEEP_BATCH = 1000;

/**
 * Deliveries received this long before the oldest webhook job still to run was enqueued cannot be
 * in any job still to run: covers the moments between a commit and its enqueue, and clock skew
 * between the api hosts (job times) and PostgreSQL (arrival times).
 */
const PENDING_JOB_SLACK_MS = 10_000;
/** Retrying and running jobs looked at; there are few (concurrency, and failures waiting to retry). */
const PENDING_JOBS_READ = 1000;

/** When the oldest webhook job that may still run was enqueued (epoch ms), or null when none waits. */
async function oldestPendingJobAt(queues: JobQueues): Promise<number | null> {
  const queue = queues.get('webhook');
  const [oldestWaiting] = await queue.getJobs(['wait'], 0, 0, true);
  const others = await queue.getJobs(['active', 'delayed', 'prioritized'], 0, PENDING_JOBS_READ - 1, true);
  const times = [oldestWaiting, ...others].filter((job) => job !== undefined).map((job) => job.timestamp);
  return times.length ? Math.min(...times) : null;
}

/**
 * Re-drives stored deliveries that were never processed. A job carries a whole group commit but is
 * keyed by its first delivery only, so while a backlog is being worked a delivery still RECEIVED may
 * simply be waiting in another's job: only those received before every job still to run are
 * re-driven (with their own id as the job id, so one is never enqueued twice by the sweeper).
 */
export async function sweepDeliveries(em: EntityManager, queues: JobQueues, olderThanMs = SWEEP_AFTER_MS): Promise<number> {
  const pendingSince = await oldestPendingJobAt(queues);
  const cutoff = Math.min(Date.now() - olderThanMs, pendingSince === null ? Infinity : pendingSince - PENDING_JOB_SLACK_MS);
  const stale = await em.find(
    WebhookDelivery,
    { status: DeliveryStatus.RECEIVED, receivedAt: { $lt: new Date(cutoff) } },
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
