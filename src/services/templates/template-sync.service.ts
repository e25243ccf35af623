import type { Logger } from 'pino';
import { Channel } from '../../entities/channel.entity';
import { Template } from '../../entities/template.entity';
import type { EntityManager } from '../../db/entity-manager';
import type { SecretBox } from '../../auth/secret-box';
import type { GraphApiClient } from '../../meta/graph-api.client';
import { GraphApiError } from '../../meta/graph-api.errors';
import { DELETING, SUBMISSION_FAILED, SUBMITTING } from './template.service';

export interface TemplateJobDeps {
  graph: GraphApiClient;
  secrets: SecretBox;
  log: Logger;
}

/** A channel of the template's organization and WABA, whose token speaks for that WABA. */
async function channelFor(em: EntityManager, template: Template): Promise<Channel | null> {
  return em.findOne(Channel, { organization: template.organization, wabaId: template.wabaId }, { orderBy: { createdAt: 'asc' } });
}

/** Submits a SUBMITTING template to Meta; Meta's answer (or refusal) is recorded on the row. */
export async function submitTemplate(em: EntityManager, deps: TemplateJobDeps, templateId: string): Promise<string> {
  const template = await em.findOne(Template, { id: templateId });
  if (!template || template.status !== SUBMITTING) return 'nothing to submit';
  const channel = await channelFor(em, template);
  if (!channel) throw new Error(`No channel of WABA ${template.wabaId} to submit through`);
  const parameterFormat = (template.statusDetails?.parameterFormat as string | undefined)?.toLowerCase() ?? 'positional';
  try {
    const created = await deps.graph.createTemplate(template.wabaId, deps.secrets.open(channel.accessTokenEncrypted), {
      name: template.name,
      language: template.language,
      category: template.category,
      parameter_format: parameterFormat,
      components: template.components,
    });
    template.metaTemplateId = created.id;
    template.status = created.status ?? 'PENDING';
    if (created.category) template.category = created.category;
  } catch (error) {
    if (!(error instanceof GraphApiError) || error.decision.kind === 'retry') throw error;
    template.status = SUBMISSION_FAILED;
    template.rejectionReason = error.details ? `${error.title}: ${error.details}` : error.title;
  }
  await em.flush();
  return template.status;
}

/** Deletes one template (this language only, by its Meta id) and marks it DELETED. */
export async function deleteTemplateAtMeta(em: EntityManager, deps: TemplateJobDeps, templateId: string): Promise<string> {
  const template = await em.findOne(Template, { id: templateId });
  if (!template || template.status !== DELETING) return 'nothing to delete';
  const channel = await channelFor(em, template);
  if (template.metaTemplateId && channel) {
    await deps.graph.deleteTemplate(template.wabaId, deps.secrets.open(channel.accessTokenEncrypted), template.name, template.metaTemplateId);
  }
  template.status = 'DELETED';
  await em.flush();
  return 'deleted';
}

const text = (value: unknown) => (typeof value === 'string' ? value : null);

/**
 * Meta lists `rejected_reason` (NONE unless rejected). A rejected template keeps the most precise
 * reason known: the list's, or the one a status webhook or a failed submission recorded earlier.
 */
function rejectionReasonOf(status: string, listed: string | null, known: string | null): string | null {
  if (status !== 'REJECTED') return null;
  return listed && listed !== 'NONE' ? (known?.startsWith(listed) ? known : listed) : known;
}

/** JSON with object keys sorted: jsonb stores keys in its own order, so plain JSON.stringify would see every row as changed. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Pages of 100: Meta allows a few thousand templates per business account, so more is a paging loop. */
const MAX_TEMPLATE_PAGES = 100;

/**
 * Pulls every page of the WABA's templates from Meta and reconciles: new ones are added, changed
 * ones updated, ones Meta no longer has are marked DELETED. Returns counts.
 */
export async function syncTemplates(em: EntityManager, deps: TemplateJobDeps, channelId: string) {
  const channel = await em.findOne(Channel, { id: channelId });
  if (!channel) return { added: 0, updated: 0, deleted: 0 };
  const token = deps.secrets.open(channel.accessTokenEncrypted);
  const remote: Record<string, unknown>[] = [];
  const cursors = new Set<string>();
  let after: string | null = null;
  do {
    // Reconciling marks what Meta did not list as DELETED: only a complete listing may be used.
    if (cursors.size >= MAX_TEMPLATE_PAGES) throw new Error(`Meta listed more than ${MAX_TEMPLATE_PAGES} pages of templates; nothing was changed`);
    const page = await deps.graph.listTemplates(channel.wabaId, token, after);
    remote.push(...page.data);
    after = page.after;
    if (after !== null && cursors.has(after)) throw new Error('Meta returned a page cursor it had returned before; nothing was changed');
    if (after !== null) cursors.add(after);
  } while (after);

  const local = await em.find(Template, { organization: channel.organization, wabaId: channel.wabaId });
  const byMetaId = new Map(local.filter((t) => t.metaTemplateId).map((t) => [t.metaTemplateId!, t]));
  const counts = { added: 0, updated: 0, deleted: 0 };
  const seen = new Set<string>();
  for (const item of remote) {
    const metaTemplateId = item.id === undefined || item.id === null ? null : String(item.id);
    const name = text(item.name);
    const language = text(item.language);
    if (!metaTemplateId || !name || !language) continue;
    seen.add(metaTemplateId);
    const fields = {
      name,
      language,
      status: text(item.status) ?? 'PENDING',
      category: text(item.category),
      components: Array.isArray(item.components) ? item.components : null,
      ...(text((item.quality_score as { score?: unknown } | undefined)?.score) ? { qualityScore: text((item.quality_score as { score?: unknown }).score) } : {}),
    };
    const existing = byMetaId.get(metaTemplateId);
    const rejectionReason = rejectionReasonOf(fields.status, text(item.rejected_reason), existing?.rejectionReason ?? null);
    if (existing) {
      const before = canonical([existing.status, existing.category, existing.components, existing.qualityScore, existing.rejectionReason]);
      Object.assign(existing, fields, { rejectionReason });
      if (canonical([existing.status, existing.category, existing.components, existing.qualityScore, existing.rejectionReason]) !== before) counts.updated += 1;
    } else {
      em.create(Template, { organization: channel.organization, wabaId: channel.wabaId, metaTemplateId, ...fields, rejectionReason });
      counts.added += 1;
    }
  }
  for (const template of local) {
    if (template.metaTemplateId && !seen.has(template.metaTemplateId) && template.status !== 'DELETED' && template.status !== DELETING) {
      template.status = 'DELETED';
      counts.deleted += 1;
    }
  }
  await em.flush();
  deps.log.info({ channelId, ...counts }, 'templates synced');
  return counts;
}

/** The daily job: one sync per WhatsApp Business Account (through its oldest channel). */
export async function channelsToSync(em: EntityManager): Promise<string[]> {
  const channels = await em.find(Channel, {}, { orderBy: { createdAt: 'asc' } });
  const seen = new Set<string>();
  return channels.filter((c) => !seen.has(`${c.organization.id}/${c.wabaId}`) && seen.add(`${c.organization.id}/${c.wabaId}`)).map((c) => c.id);
}
