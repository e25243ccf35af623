import { hostname } from 'node:os';
import type { Job } from 'bullmq';
import { MAX_PROBE_DELAY_MS, type JobData, type ProbeResult } from './queues';
import type { JobDeps } from './job-context';

/** Proves a worker is alive end to end; the delay lets operators (and tests) hold a job in flight. */
export const probeHandler = (deps: JobDeps) => async (job: Job<JobData<'system', 'probe'>>): Promise<ProbeResult> => {
  const startedAt = new Date();
  deps.log.info({ jobId: job.id, requestId: job.data.requestId, delayMs: job.data.delayMs }, 'probe job started');
  const delay = Math.min(Math.max(job.data.delayMs ?? 0, 0), MAX_PROBE_DELAY_MS);
  if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
  return { processedBy: `${hostname()}:${process.pid}`, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString() };
};
