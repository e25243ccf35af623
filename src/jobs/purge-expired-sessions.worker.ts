import type { Job } from 'bullmq';
import { systemEm } from '../db/entity-manager';
import { purgeExpiredSessions } from '../services/maintenance.service';
import type { JobDeps } from './job-context';

export const purgeExpiredSessionsHandler = (deps: JobDeps) => async (job: Job) => {
  const deleted = await purgeExpiredSessions(systemEm(deps.orm));
  deps.log.info({ jobId: job.id, deleted }, 'purged ended sessions');
  return { deleted };
};
