import { FlowVersion } from '../../../entities/flow-version.entity';
import { notFound } from '../../../domain/errors';
import type { FlowDefinition } from '../../../domain/flow/flow-definition';
import { getFlow } from '../../flows/flow.service';
import type { MemberScope } from '../../scope';
import { resolveRange, type AnalyticsRange, type AnalyticsRangeInput } from '../analytics-range';

/** What a flow report is about: a flow of the caller's organization, maybe one of its versions, and a checked range. */
export interface FlowAnalyticsTarget {
  flowId: string;
  version: number | null;
  /** Set when a version was asked for. */
  definition: FlowDefinition | null;
  range: AnalyticsRange;
}

/**
 * Checks the arguments in order (flowId, version, range), each problem naming its argument. A flow
 * of another organization is as unknown as a missing one: the tenant-scoped lookup cannot see it.
 */
export async function resolveFlowTarget(
  scope: MemberScope,
  flowId: string,
  version: number | null | undefined,
  rangeInput: AnalyticsRangeInput,
): Promise<FlowAnalyticsTarget> {
  const flow = await getFlow(scope, flowId, 'flowId');
  let definition: FlowDefinition | null = null;
  if (version !== null && version !== undefined) {
    const found = Number.isInteger(version) && version > 0 ? await scope.em.findOne(FlowVersion, { flow, version }) : null;
    if (!found) throw notFound(`Version ${version} of this flow`, 'version');
    definition = found.definition as unknown as FlowDefinition;
  }
  const range = await resolveRange(scope, rangeInput);
  return { flowId: flow.id, version: version ?? null, definition, range };
}
