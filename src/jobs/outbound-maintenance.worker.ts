import type { Job } from 'bullmq';
import { systemEm } from '../db/entity-manager';
import { markReadAtMeta } from '../services/outbound/mark-read.service';
import { sweepOutbound } from '../services/outbound/outbound-maintenance.service';
import type { JobDeps } from './job-context';
import type { JobData } from './queues';

export const sweepOutboundHandler = (deps: JobDeps) => async (job: Job) => {
  const requeued = await sweepOutbound(systemEm(deps.orm), deps.queues);
  if (requeued) deps.log.warn({ jobId: job.id, requeued }, 're-enqueued stuck outbound messages');
  return { requeued };
};

export const markReadHandler = (deps: JobDeps) => async (job: Job<JobData<'outbound', 'mark-read'>>) =>
  markReadAtMeta(systemEm(deps.orm), deps.graph, deps.secrets, job.data.messageId);
