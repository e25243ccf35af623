import type { Job } from 'bullmq';
import { processDelivery } from '../services/inbound/process-delivery.service';
import type { JobDeps } from './job-context';
import type { JobData } from './queues';

export const processDeliveryHandler = (deps: JobDeps) => async (job: Job<JobData<'webhook', 'process-delivery'>>) => {
  const summary = await processDelivery(deps, job.data.deliveryId, { replay: job.data.replay });
  if (summary.issues.length) deps.log.info({ deliveryId: job.data.deliveryId, issues: summary.issues }, 'delivery had skipped items');
  return summary;
};
