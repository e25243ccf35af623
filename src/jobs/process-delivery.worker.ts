import type { Job } from 'bullmq';
import { systemEm } from '../db/entity-manager';
import { markDeliveryFailed } from '../services/inbound/delivery-maintenance.service';
import { processDeliveries } from '../services/inbound/process-delivery.service';
import type { JobDeps } from './job-context';
import type { JobData } from './queues';

/**
 * One delivery, or several that shared a group commit (DeliveryInboxOptions.deliveriesPerJob),
 * processed as one batch. Each delivery succeeds or fails on its own and idempotently, so a retry
 * after a partial failure only does what is left: processed deliveries are skipped. On the last
 * attempt the deliveries that still fail are marked FAILED here, since the generic failure hook
 * only knows the job's first delivery.
 */
export const processDeliveryHandler = (deps: JobDeps) => async (job: Job<JobData<'webhook', 'process-delivery'>>) => {
  const ids = [job.data.deliveryId, ...(job.data.batchedWith ?? [])];
  const outcomes = await processDeliveries(deps, ids, { replay: job.data.replay });
  const failures: { id: string; error: unknown }[] = [];
  for (const outcome of outcomes) {
    if (!outcome.summary) failures.push(outcome);
    else if (outcome.summary.issues.length) deps.log.info({ deliveryId: outcome.id, issues: outcome.summary.issues }, 'delivery had skipped items');
  }
  // A single delivery's summary shows on the job board as before; a batch's would not be read.
  if (!failures.length) return ids.length === 1 ? outcomes[0]?.summary : { deliveries: ids.length };

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
