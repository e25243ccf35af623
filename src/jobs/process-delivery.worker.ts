import type { Job } from 'bullmq';
import { systemEm } from '../db/entity-manager';
import { markDeliveryFailed } from '../services/inbound/delivery-maintenance.service';
import { processDelivery } from '../services/inbound/process-delivery.service';
import type { JobDeps } from './job-context';
import type { JobData } from './queues';

/** Deliveries of one batch processed at once: a large batch still finishes soon, without one job taking the whole pool. */
const DELIVERIES_AT_ONCE = 4;

/**
 * One delivery, or several that shared a group commit (DeliveryInboxOptions.deliveriesPerJob). Each
 * delivery is processed on its own and idempotently, so a retry after a partial failure only does
 * what is left: processed deliveries return early. On the last attempt the deliveries that still
 * fail are marked FAILED here, since the generic failure hook only knows the job's first delivery.
 */
export const processDeliveryHandler = (deps: JobDeps) => async (job: Job<JobData<'webhook', 'process-delivery'>>) => {
  const ids = [job.data.deliveryId, ...(job.data.batchedWith ?? [])];
  const failures: { id: string; error: unknown }[] = [];
  let last: Awaited<ReturnType<typeof processDelivery>> | undefined;
  let next = 0;
  const lane = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      try {
        const summary = (last = await processDelivery(deps, id, { replay: job.data.replay }));
        if (summary.issues.length) deps.log.info({ deliveryId: id, issues: summary.issues }, 'delivery had skipped items');
      } catch (error) {
        failures.push({ id, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DELIVERIES_AT_ONCE, ids.length) }, lane));
  // A single delivery's summary shows on the job board as before; a batch's would not be read.
  if (!failures.length) return ids.length === 1 ? last : { deliveries: ids.length };

  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  if (lastAttempt) {
    for (const { id, error } of failures) {
      await markDeliveryFailed(systemEm(deps.orm), id, error instanceof Error ? error.message : String(error)).catch((markError: unknown) =>
        deps.log.error({ err: markError, deliveryId: id }, 'could not mark delivery failed'),
      );
    }
  }
  if (failures.length === 1) throw failures[0]!.error;
  const first = failures[0]!.error;
  throw new Error(`${failures.length} of ${ids.length} deliveries failed; first: ${first instanceof Error ? first.message : String(first)}`, { cause: first });
};
