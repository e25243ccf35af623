import type { Job } from 'bullmq';
import { systemEm } from '../db/entity-manager';
import { channelsToSync, deleteTemplateAtMeta, submitTemplate, syncTemplates } from '../services/templates/template-sync.service';
import type { JobDeps } from './job-context';
import type { JobData } from './queues';

export const submitTemplateHandler = (deps: JobDeps) => async (job: Job<JobData<'outbound', 'submit-template'>>) =>
  submitTemplate(systemEm(deps.orm), deps, job.data.templateId);

export const deleteTemplateHandler = (deps: JobDeps) => async (job: Job<JobData<'outbound', 'delete-template'>>) =>
  deleteTemplateAtMeta(systemEm(deps.orm), deps, job.data.templateId);

export const syncTemplatesHandler = (deps: JobDeps) => async (job: Job<JobData<'outbound', 'sync-templates'>>) =>
  syncTemplates(systemEm(deps.orm), deps, job.data.channelId);

export const syncAllTemplatesHandler = (deps: JobDeps) => async () => {
  const channelIds = await channelsToSync(systemEm(deps.orm));
  await deps.queues.get('outbound').addBulk(channelIds.map((channelId) => ({ name: 'sync-templates', data: { channelId } })));
  return { channels: channelIds.length };
};
