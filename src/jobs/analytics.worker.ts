import type { Job } from 'bullmq';
import { systemEm } from '../db/entity-manager';
import { rebuildRange, refreshAnalytics } from '../services/analytics/analytics-refresh.service';
import type { JobData } from './queues';
import type { JobDeps } from './job-context';

/** Repeatable: applies new conversation events to the analytics rollups. */
export const refreshAnalyticsHandler = (deps: JobDeps) => async (job: Job) => {
  const result = await refreshAnalytics(systemEm(deps.orm));
  if (result.events) deps.log.debug({ jobId: job.id, ...result }, 'analytics refreshed');
  return result;
};

/** rebuildAnalytics: one organization's rollups for a range, with progress (0-100) for the board and the API. */
export const rebuildAnalyticsHandler = (deps: JobDeps) => async (job: Job<JobData<'analytics', 'rebuild-analytics'>>) => {
  const { organizationId, from, to } = job.data;
  const result = await rebuildRange(systemEm(deps.orm), organizationId, new Date(from), new Date(to), async ({ done, total }) => {
    await job.updateProgress(Math.floor((done / total) * 100));
  });
  await job.updateProgress(100);
  deps.log.info({ jobId: job.id, organizationId, from, to, requestId: job.data.requestId, ...result }, 'analytics rebuilt');
  return result;
};
