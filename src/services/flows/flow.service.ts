import { createHash } from 'node:crypto';
import { Channel } from '../../entities/channel.entity';
import { FlowVersion } from '../../entities/flow-version.entity';
import { Flow } from '../../entities/flow.entity';
import { findById } from '../../db/find-by-id';
import { paginate, type PageArgs } from '../../db/paginate';
import { AppError, ErrorCode, conflict } from '../../domain/errors';
import { validateFlow, type FlowDefinition } from '../../domain/flow/flow-validation';
import { organizationRef, type MemberScope } from '../scope';

/** JSON with sorted keys, so equal definitions have equal checksums whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const checksumOf = (definition: unknown) => createHash('sha256').update(canonicalJson(definition)).digest('hex');

/** The definition as a valid flow, or FLOW_INVALID listing every problem with its node and field. */
export function assertValidFlow(definition: unknown): FlowDefinition {
  const result = validateFlow(definition);
  if (result.ok) return result.definition;
  const count = result.problems.length;
  throw new AppError(ErrorCode.FLOW_INVALID, `The flow has ${count} problem${count === 1 ? '' : 's'}`, {
    field: 'definition',
    problems: result.problems,
  });
}

export interface FlowInput {
  name: string;
  description?: string | null;
  definition: unknown;
}

export async function createFlow(scope: MemberScope, input: FlowInput): Promise<Flow> {
  const definition = assertValidFlow(input.definition);
  const flow = scope.em.create(Flow, {
    organization: organizationRef(scope),
    name: input.name.trim(),
    description: input.description ?? null,
    draft: definition as unknown as Record<string, unknown>,
  });
  await scope.em.flush();
  return flow;
}

export const getFlow = (scope: MemberScope, id: string, field = 'flowId') => findById(scope.em, Flow, id, 'Flow', field);

export async function updateFlowDraft(scope: MemberScope, flowId: string, input: Partial<FlowInput>): Promise<Flow> {
  const flow = await getFlow(scope, flowId);
  if (flow.archivedAt) throw conflict('The flow is archived', 'flowId');
  if (input.definition !== undefined) flow.draft = assertValidFlow(input.definition) as unknown as Record<string, unknown>;
  if (input.name) flow.name = input.name.trim();
  if (input.description !== undefined) flow.description = input.description;
  await scope.em.flush();
  return flow;
}

const keywordsOf = (definition: FlowDefinition): string[] =>
  [...new Set((definition.triggers?.keywords ?? []).map((keyword) => keyword.trim().toLowerCase()).filter(Boolean))];

/**
 * Publishes the draft as the next immutable version (or returns the current one when the draft is
 * unchanged). New conversations start on it; running ones stay on the version they started with.
 */
export async function publishFlow(scope: MemberScope, flowId: string): Promise<Flow> {
  const flow = await getFlow(scope, flowId);
  if (flow.archivedAt) throw conflict('The flow is archived', 'flowId');
  const definition = assertValidFlow(flow.draft);
  const checksum = checksumOf(definition);
  const latest = await scope.em.findOne(FlowVersion, { flow }, { orderBy: { version: 'desc' } });
  if (latest?.checksum === checksum && flow.publishedVersion === latest.version) return flow;
  const keywords = keywordsOf(definition);
  if (keywords.length) {
    const clash = await scope.em.findOne(Flow, { id: { $ne: flow.id }, archivedAt: null, publishedKeywords: { $overlap: keywords } });
    if (clash) throw conflict(`Flow "${clash.name}" already uses one of these keywords: ${keywords.join(', ')}`, 'triggers.keywords');
  }
  await scope.em.transactional(async (tx) => {
    const version = (latest?.version ?? 0) + 1;
    tx.create(FlowVersion, {
      organization: flow.organization,
      flow,
      version,
      definition: definition as unknown as Record<string, unknown>,
      checksum,
      publishedBy: scope.viewer.userId,
    });
    flow.publishedVersion = version;
    flow.publishedKeywords = keywords;
  });
  return flow;
}

/** Stops the flow from starting new conversations; running ones finish on their version. */
export async function archiveFlow(scope: MemberScope, flowId: string): Promise<Flow> {
  const flow = await getFlow(scope, flowId);
  flow.archivedAt ??= new Date();
  flow.publishedKeywords = null;
  await scope.em.nativeUpdate(Channel, { defaultFlow: flow.id }, { defaultFlow: null });
  await scope.em.flush();
  return flow;
}

export async function duplicateFlow(scope: MemberScope, flowId: string, name?: string | null): Promise<Flow> {
  const source = await getFlow(scope, flowId);
  const copy = scope.em.create(Flow, {
    organization: source.organization,
    name: name?.trim() || `${source.name} (copy)`.slice(0, 200),
    description: source.description ?? null,
    draft: structuredClone(source.draft),
  });
  await scope.em.flush();
  return copy;
}

/** The section 11 JSON of a version (the published one by default, the draft when there is none). */
export async function exportFlow(scope: MemberScope, flowId: string, version?: number | null): Promise<Record<string, unknown>> {
  const flow = await getFlow(scope, flowId);
  const wanted = version ?? flow.publishedVersion;
  if (!wanted) return flow.draft;
  const found = await scope.em.findOne(FlowVersion, { flow, version: wanted });
  if (!found) throw new AppError(ErrorCode.NOT_FOUND, `Version ${wanted} not found`, { field: 'version' });
  return found.definition;
}

export function listFlows(scope: MemberScope, filter: { includeArchived?: boolean | null } = {}, page: PageArgs = {}) {
  return paginate(scope.em, Flow, filter.includeArchived ? {} : { archivedAt: null }, page);
}

export const listVersions = (scope: MemberScope, flow: Flow) => scope.em.find(FlowVersion, { flow }, { orderBy: { version: 'desc' } });

export async function setDefaultFlow(scope: MemberScope, channel: Channel, flowId: string | null): Promise<void> {
  if (!flowId) {
    channel.defaultFlow = null;
    return;
  }
  const flow = await getFlow(scope, flowId, 'defaultFlowId');
  if (flow.archivedAt || !flow.publishedVersion) throw conflict('Only a published, active flow can be the default', 'defaultFlowId');
  channel.defaultFlow = flow;
}
