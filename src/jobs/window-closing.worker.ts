import type { Job } from 'bullmq';
import { systemEm } from '../db/entity-manager';
import { warnClosingWindows } from '../services/live/window-warning.service';
import type { JobDeps } from './job-context';

/** Repeatable: warns agents (live feeds) about 24-hour windows that close within the hour. */
export const warnClosingWindowsHandler = (deps: JobDeps) => async (job: Job) => {
  const warned = await warnClosingWindows(systemEm(deps.orm), deps.events);
  if (warned) deps.log.info({ jobId: job.id, warned }, 'warned about closing service windows');
  return { warned };
};
