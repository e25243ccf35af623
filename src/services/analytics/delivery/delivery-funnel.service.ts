import { Flow } from '../../../entities/flow.entity';
import { FlowVersion } from '../../../entities/flow-version.entity';
import { Template } from '../../../entities/template.entity';
import { findById } from '../../../db/find-by-id';
import { badInput, notFound } from '../../../domain/errors';
import type { EntityManager } from '../../../db/entity-manager';
import type { MemberScope } from '../../scope';
import { rollupsCompleteBefore, splitRange, type AnalyticsRange } from '../analytics-range';
import { DeliveryTally, type DeliveryFigures } from './delivery-figures';
import { GROUP_COLUMNS, selectCounters, selectFailures, type CounterRow, type DeliveryScope } from './delivery-funnel.query';
import { DeliveryGrouping } from './delivery-grouping';
import { coverWithSpans } from './delivery-spans';

export interface DeliveryFilters {
  by: DeliveryGrouping;
  flowId: string | null;
  flowVersion: number | null;
  templateId: string | null;
}

export interface DeliveryFunnelRow extends DeliveryFigures {
  template: { id: string; name: string; language: string; category: string | null } | null;
  flowNode: { flowId: string; flowName: string; flowVersion: number | null; nodeId: string } | null;
  channel: { id: string; name: string | null; displayPhoneNumber: string } | null;
}

export interface DeliveryFunnelReport {
  by: DeliveryGrouping;
  from: Date;
  to: Date;
  timeZone: string;
  rows: DeliveryFunnelRow[];
  totals: DeliveryFigures;
}

export interface DeliveryFunnelOptions {
  /** 'raw' reads messages only, ignoring the rollups (tests compare the two). Default 'auto'. */
  source?: 'auto' | 'raw';
}

/**
 * Checks the report's filters against the caller's organization. Another organization's flow or
 * template is as unknown as a missing one (NOT_FOUND naming the argument).
 */
export async function resolveDeliveryFilters(
  scope: MemberScope,
  args: { by: DeliveryGrouping; flowId?: string | null; flowVersion?: number | null; templateId?: string | null },
): Promise<DeliveryFilters> {
  const flowId = args.flowId ?? null;
  const flowVersion = args.flowVersion ?? null;
  const templateId = args.templateId ?? null;
  if (flowVersion !== null && flowId === null) throw badInput('flowVersion', 'flowVersion needs flowId');
  if (flowVersion !== null && flowVersion < 1) throw badInput('flowVersion', 'flowVersion starts at 1');
  if (flowId !== null) {
    const flow = await findById(scope.em, Flow, flowId, 'Flow', 'flowId');
    if (flowVersion !== null && !(await scope.em.findOne(FlowVersion, { flow, version: flowVersion }))) throw notFound('Flow version', 'flowVersion');
  }
  if (templateId !== null) await findById(scope.em, Template, templateId, 'Template', 'templateId');
  return { by: args.by, flowId, flowVersion, templateId };
}

const groupKey = (by: DeliveryGrouping, row: object) => GROUP_COLUMNS[by].map((column) => String((row as Record<string, unknown>)[column] ?? '')).join('|');

function describeGroup(by: DeliveryGrouping, row: CounterRow): Pick<DeliveryFunnelRow, 'template' | 'flowNode' | 'channel'> {
  const none = { template: null, flowNode: null, channel: null };
  if (by === DeliveryGrouping.TEMPLATE) return { ...none, template: { id: row.template_id!, name: row.name!, language: row.language!, category: row.category } };
  if (by === DeliveryGrouping.FLOW_NODE) {
    return { ...none, flowNode: { flowId: row.flow_id!, flowName: row.name!, flowVersion: row.flow_version ?? null, nodeId: row.flow_node_id! } };
  }
  return { ...none, channel: { id: row.channel_id!, name: row.name, displayPhoneNumber: row.display_phone_number! } };
}

const label = (row: DeliveryFunnelRow) =>
  row.template ? `${row.template.name} ${row.template.language}`
  : row.flowNode ? `${row.flowNode.flowName} ${String(row.flowNode.flowVersion).padStart(10, '0')} ${row.flowNode.nodeId}`
  : `${row.channel?.name ?? ''} ${row.channel?.displayPhoneNumber ?? ''}`;

/**
 * The delivery funnel of the organization's outbound messages created in the range, grouped by
 * template, flow node or channel. Whole rollup spans answer the part before the refresher's mark;
 * raw messages answer the ragged edges and the part after it, counted the same way.
 */
export async function deliveryFunnel(
  em: EntityManager,
  range: AnalyticsRange,
  filters: DeliveryFilters,
  options: DeliveryFunnelOptions = {},
): Promise<DeliveryFunnelReport> {
  const completeBefore = options.source === 'raw' ? new Date(0) : await rollupsCompleteBefore(em);
  const split = splitRange(range.from, range.to, completeBefore);
  const sources = { rollup: split.rollup ? coverWithSpans(split.rollup.from, split.rollup.to) : [], raw: split.raw };
  const scope: DeliveryScope = { organizationId: range.organizationId, channelId: range.channelId, ...filters };

  // Outside a transaction the two statements run on two pooled connections, in parallel.
  const [counters, failures] = await Promise.all([selectCounters(em, scope, sources), selectFailures(em, scope, sources)]);

  const groups = new Map<string, { row: CounterRow; tally: DeliveryTally }>();
  for (const row of counters) {
    const key = groupKey(filters.by, row);
    const group = groups.get(key) ?? { row, tally: new DeliveryTally() };
    group.tally.addCounts(row, row.pricing_category);
    groups.set(key, group);
  }
  // Failures of a group without counters belong to a template or flow that is gone: dropped like its counters.
  for (const failure of failures) {
    groups.get(groupKey(filters.by, failure))?.tally.addFailures(failure.error_code, failure.error_title, failure.failed);
  }

  const totals = new DeliveryTally();
  const rows: { key: string; row: DeliveryFunnelRow }[] = [];
  for (const [key, { row, tally }] of groups) {
    totals.addTally(tally);
    rows.push({ key, row: { ...tally.figures(), ...describeGroup(filters.by, row) } });
  }
  rows.sort((a, b) => b.row.queued - a.row.queued || label(a.row).localeCompare(label(b.row)) || a.key.localeCompare(b.key));
  return { by: filters.by, from: range.from, to: range.to, timeZone: range.timeZone, rows: rows.map(({ row }) => row), totals: totals.figures() };
}
