import type { EntityManager } from '../../../db/entity-manager';
import { sql } from '../../../db/sql';
import type { FlowDefinition } from '../../../domain/flow/flow-definition';
import type { MemberScope } from '../../scope';
import type { AnalyticsRange, AnalyticsRangeInput } from '../analytics-range';
import { resolveFlowTarget } from './flow-analytics-target';
import type { NodeExits } from './flow-session.derivation';
import { waitsForReply } from './flow-version-facts';
import { join, q, type Fragment } from './sql-fragment';

export interface FlowFunnelExits extends NodeExits {
  /** Sessions still waiting here within their TTL. */
  waiting: number;
}

export interface FlowFunnelNodeResult {
  nodeId: string;
  type: string;
  waitsForReply: boolean;
  visits: number;
  sessions: number;
  conversations: number;
  exits: FlowFunnelExits;
  invalidAnswers: number;
  retries: number;
  dropOffs: number;
  dropOffRate: number | null;
  deliveryFailed: number;
  wentSilent: number;
  medianSecondsToAnswer: number | null;
}

export interface FlowFunnelResult {
  flowId: string;
  version: number;
  start: string;
  from: Date;
  to: Date;
  timeZone: string;
  channelId: string | null;
  sessionsStarted: number;
  nodes: FlowFunnelNodeResult[];
}

interface NodeRow {
  node_id: string;
  visits: number;
  sessions: number;
  conversations: number;
  continued: number;
  retried: number;
  validation_failed: number;
  abandoned: number;
  handed_off: number;
  ended: number;
  waiting: number;
  invalid_answers: number;
  retries: number;
  delivery_failed: number;
}

/** One version's node rows of sessions started in the range, through the covering funnel index. */
function nodeRowsOf(range: AnalyticsRange, flowId: string, version: number): Fragment {
  const conditions = [
    q`organization_id = ${range.organizationId} and flow_id = ${flowId} and flow_version = ${version}
      and session_started_at >= ${range.from} and session_started_at < ${range.to}`,
  ];
  if (range.channelId !== null) conditions.push(q`channel_id = ${range.channelId}`);
  return join(conditions, ' and ');
}

/** Sums and plain counts only, so PostgreSQL hash-aggregates without sorting. */
async function nodeRows(em: EntityManager, range: AnalyticsRange, flowId: string, version: number, now: Date): Promise<NodeRow[]> {
  // A session waiting at a node past its TTL has been abandoned there.
  const lapsed = q`waiting_until <= ${now}`;
  const query = q`select node_id,
        sum(visits)::int as visits,
        count(*)::int as sessions,
        count(*) filter (where previous_session_started_at is null or previous_session_started_at < ${range.from})::int as conversations,
        sum(exit_continued)::int as continued,
        sum(exit_retried)::int as retried,
        sum(exit_validation_failed)::int as validation_failed,
        (sum(exit_abandoned) + count(*) filter (where ${lapsed}))::int as abandoned,
        sum(exit_handed_off)::int as handed_off,
        sum(exit_ended)::int as ended,
        count(*) filter (where waiting_until > ${now})::int as waiting,
        sum(validation_failures)::int as invalid_answers,
        sum(retries)::int as retries,
        count(*) filter (where delivery_failed and (exit_abandoned > 0 or ${lapsed}))::int as delivery_failed
      from analytics_flow_node_visit where ${nodeRowsOf(range, flowId, version)}
     group by node_id`;
  return sql<NodeRow>(em, query.text, [...query.params]);
}

/** The only sort: answered rows of the nodes that wait, by the partial answer index. */
async function medianAnswers(em: EntityManager, range: AnalyticsRange, flowId: string, version: number): Promise<Map<string, number>> {
  const query = q`select node_id, percentile_cont(0.5) within group (order by seconds_to_answer) as median
      from analytics_flow_node_visit where ${nodeRowsOf(range, flowId, version)} and seconds_to_answer is not null
     group by node_id`;
  const rows = await sql<{ node_id: string; median: number }>(em, query.text, [...query.params]);
  return new Map(rows.map((row) => [row.node_id, Number(row.median)]));
}

async function sessionsStarted(em: EntityManager, range: AnalyticsRange, flowId: string, version: number): Promise<number> {
  const conditions = [q`organization_id = ${range.organizationId} and flow_id = ${flowId} and started_at >= ${range.from} and started_at < ${range.to} and flow_version = ${version}`];
  if (range.channelId !== null) conditions.push(q`channel_id = ${range.channelId}`);
  const query = q`select count(*)::int as count from analytics_flow_session where ${join(conditions, ' and ')}`;
  const [row] = await sql<{ count: number }>(em, query.text, [...query.params]);
  return row!.count;
}

function funnelNode(node: FlowDefinition['nodes'][number], row: NodeRow | undefined, median: number | undefined): FlowFunnelNodeResult {
  const sessions = row?.sessions ?? 0;
  const dropOffs = row?.abandoned ?? 0;
  const deliveryFailed = row?.delivery_failed ?? 0;
  return {
    nodeId: node.id,
    type: node.type,
    waitsForReply: waitsForReply(node),
    visits: row?.visits ?? 0,
    sessions,
    conversations: row?.conversations ?? 0,
    exits: {
      continued: row?.continued ?? 0,
      retried: row?.retried ?? 0,
      validationFailed: row?.validation_failed ?? 0,
      abandoned: dropOffs,
      handedOff: row?.handed_off ?? 0,
      ended: row?.ended ?? 0,
      waiting: row?.waiting ?? 0,
    },
    invalidAnswers: row?.invalid_answers ?? 0,
    retries: row?.retries ?? 0,
    dropOffs,
    dropOffRate: sessions === 0 ? null : dropOffs / sessions,
    deliveryFailed,
    wentSilent: dropOffs - deliveryFailed,
    medianSecondsToAnswer: median ?? null,
  };
}

/** The funnel for a checked range and a known version's definition; `now` decides which waiting sessions have lapsed. */
export async function flowFunnelFor(
  em: EntityManager,
  range: AnalyticsRange,
  flowId: string,
  version: number,
  definition: FlowDefinition,
  now = new Date(),
): Promise<FlowFunnelResult> {
  const rows = new Map((await nodeRows(em, range, flowId, version, now)).map((row) => [row.node_id, row]));
  const medians = await medianAnswers(em, range, flowId, version);
  const started = await sessionsStarted(em, range, flowId, version);
  return {
    flowId,
    version,
    start: definition.start,
    from: range.from,
    to: range.to,
    timeZone: range.timeZone,
    channelId: range.channelId,
    sessionsStarted: started,
    nodes: definition.nodes.map((node) => funnelNode(node, rows.get(node.id), medians.get(node.id))),
  };
}

/** flowFunnel: every node of one version, for the sessions of that version started in the range. */
export async function flowFunnel(scope: MemberScope, flowId: string, version: number, rangeInput: AnalyticsRangeInput): Promise<FlowFunnelResult> {
  const target = await resolveFlowTarget(scope, flowId, version, rangeInput);
  return flowFunnelFor(scope.em, target.range, target.flowId, version, target.definition!);
}
