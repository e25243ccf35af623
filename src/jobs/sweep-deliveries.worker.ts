import type { Job } from 'bullmq';
import { systemEm } from '../db/entity-manager';
import { sweepDeliveries } from '../services/inbound/delivery-maintenance.service';
import type { JobDeps } from './job-context';

export const sweepDeliveriesHandler = (deps: JobDeps) => async (job: Job) => {
  const redriven = await sweepDeliveries(systemEm(deps.orm), deps.queues);
  if (redriven) deps.log.warn({ jobId: job.id, redriven }, 're-drove unprocessed webhook deliveries');
  return { redriven };
};
