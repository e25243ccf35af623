import { Channel } from '../../entities/channel.entity';
import { Template } from '../../entities/template.entity';
import { findById } from '../../db/find-by-id';
import { conflict } from '../../domain/errors';
import { validateTemplateDefinition, type ParameterFormat } from '../../domain/template-rules';
import type { AppDeps } from '../../auth/context';
import type { MemberScope } from '../scope';

/** Local statuses before Meta has the template, and while its deletion is on its way. */
export const SUBMITTING = 'SUBMITTING';
export const SUBMISSION_FAILED = 'SUBMISSION_FAILED';
export const DELETING = 'DELETING';

export interface CreateTemplateInput {
  channelId: string;
  name: string;
  language: string;
  category: string;
  parameterFormat?: ParameterFormat | null;
  components: unknown;
}

/**
 * Validates a template locally (so Meta's review is not spent on a malformed one), stores it as
 * SUBMITTING and queues its submission to the channel's WhatsApp Business Account.
 */
export async function createTemplate(scope: MemberScope, deps: AppDeps, input: CreateTemplateInput): Promise<Template> {
  const { parameterFormat } = validateTemplateDefinition({ ...input, parameterFormat: input.parameterFormat ?? undefined });
  const channel = await findById(scope.em, Channel, input.channelId, 'Channel', 'channelId');
  const existing = await scope.em.count(Template, { wabaId: channel.wabaId, name: input.name, language: input.language, status: { $ne: 'DELETED' } });
  if (existing) throw conflict(`A template ${input.name} in ${input.language} already exists`, 'name');
  const template = scope.em.create(Template, {
    organization: channel.organization,
    wabaId: channel.wabaId,
    name: input.name,
    language: input.language,
    category: input.category,
    components: input.components as unknown[],
    status: SUBMITTING,
    statusDetails: { parameterFormat },
  });
  await scope.em.flush();
  await deps.queues.add('outbound', 'submit-template', { templateId: template.id }, { jobId: `submit-${template.id}` });
  return template;
}

export async function deleteTemplate(scope: MemberScope, deps: AppDeps, templateId: string): Promise<Template> {
  const template = await findById(scope.em, Template, templateId, 'Template', 'templateId');
  if (template.status === 'DELETED' || template.status === DELETING) return template;
  if (template.status === 'DISABLED') throw conflict('Meta does not allow deleting a DISABLED template', 'templateId');
  template.status = DELETING;
  await scope.em.flush();
  await deps.queues.add('outbound', 'delete-template', { templateId: template.id }, { jobId: `delete-${template.id}` });
  return template;
}

export async function requestTemplateSync(scope: MemberScope, deps: AppDeps, channelId: string): Promise<Channel> {
  const channel = await findById(scope.em, Channel, channelId, 'Channel', 'channelId');
  await deps.queues.add('outbound', 'sync-templates', { channelId: channel.id });
  return channel;
}
