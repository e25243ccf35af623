import type { EntityManager } from '../../../db/entity-manager';
import type { MemberScope } from '../../scope';
import { resolveRange, type AnalyticsRange, type AnalyticsRangeInput } from '../analytics-range';
import { businessClock, describeBusinessHours, parseBusinessHours, type BusinessHours, type BusinessHoursArgs } from './business-hours';
import { episodeGroups, episodeGroupsInBusinessHours, helperMessages, membersById, type EpisodeGroupRow } from './agent-metrics.query';

/** Seconds; median and p90 are null when no episode has the duration. */
export interface DurationStats {
  median: number | null;
  p90: number | null;
  count: number;
}

export interface AgentTotals {
  episodes: number;
  conversationsHandled: number;
  messagesSent: number;
  answeredEpisodes: number;
  resolvedEpisodes: number;
  firstResponseTime: DurationStats;
  resolutionTime: DurationStats;
}

export interface AgentRow extends AgentTotals {
  agentId: string;
  name: string | null;
  email: string | null;
}

export interface AgentMetricsReport {
  from: Date;
  to: Date;
  timeZone: string;
  channelId: string | null;
  businessHours: ReturnType<typeof describeBusinessHours> | null;
  overall: AgentTotals & { unattributedEpisodes: number };
  agents: AgentRow[];
}

const stats = (median: number | null, p90: number | null, count: number): DurationStats => ({
  median: median === null ? null : Number(median),
  p90: p90 === null ? null : Number(p90),
  count,
});

const totalsOf = (row: EpisodeGroupRow | undefined, conversationsHandled: number, messagesSent: number): AgentTotals => ({
  episodes: row?.episodes ?? 0,
  conversationsHandled,
  messagesSent,
  answeredEpisodes: row?.answered ?? 0,
  resolvedEpisodes: row?.resolved ?? 0,
  firstResponseTime: stats(row?.frt_median ?? null, row?.frt_p90 ?? null, row?.answered ?? 0),
  resolutionTime: stats(row?.rt_median ?? null, row?.rt_p90 ?? null, row?.resolved ?? 0),
});

/**
 * Agent metrics over the episodes that began in the range: per member and overall. An agent's
 * messagesSent counts what that member wrote (also in episodes attributed to someone else);
 * overall counts every agent message of the episodes.
 */
export async function computeAgentMetrics(em: EntityManager, range: AnalyticsRange, hours: BusinessHours | null): Promise<AgentMetricsReport> {
  const [groups, helped] = await Promise.all([
    hours ? episodeGroupsInBusinessHours(em, range, businessClock(hours)) : episodeGroups(em, range),
    helperMessages(em, range),
  ]);
  const total = groups.find((row) => row.is_total);
  const byAgent = new Map(groups.filter((row) => !row.is_total && row.agent_id).map((row) => [row.agent_id!, row]));
  const agentIds = [...new Set([...byAgent.keys(), ...helped.keys()])];
  const members = await membersById(em, range.organizationId, agentIds);
  const agents = agentIds
    .map((agentId): AgentRow => ({
      agentId,
      name: members.get(agentId)?.name ?? null,
      email: members.get(agentId)?.email ?? null,
      ...totalsOf(byAgent.get(agentId), byAgent.get(agentId)?.agent_conversations ?? 0, (byAgent.get(agentId)?.own_messages ?? 0) + (helped.get(agentId) ?? 0)),
    }))
    .sort((a, b) => b.episodes - a.episodes || b.messagesSent - a.messagesSent || (a.email ?? '').localeCompare(b.email ?? '') || a.agentId.localeCompare(b.agentId));
  const unattributed = groups.find((row) => !row.is_total && !row.agent_id);
  return {
    from: range.from,
    to: range.to,
    timeZone: range.timeZone,
    channelId: range.channelId,
    businessHours: hours ? describeBusinessHours(hours) : null,
    overall: { ...totalsOf(total, total?.attributed_conversations ?? 0, total?.messages ?? 0), unattributedEpisodes: unattributed?.episodes ?? 0 },
    agents,
  };
}

/** agentMetrics: validates the range and business hours (errors name `range.*` / `businessHours.*`), then computes. */
export async function agentMetrics(scope: MemberScope, rangeInput: AnalyticsRangeInput, hoursInput: BusinessHoursArgs | null | undefined): Promise<AgentMetricsReport> {
  const range = await resolveRange(scope, rangeInput);
  let hours: BusinessHours | null = null;
  if (hoursInput) {
    hours = parseBusinessHours(hoursInput, range.timeZone);
    // The range's own check of a time zone (against PostgreSQL's list), naming businessHours.timeZone.
    if (hoursInput.timeZone) await resolveRange(scope, { from: range.from, to: range.to, timeZone: hoursInput.timeZone }, 'businessHours');
  }
  return computeAgentMetrics(scope.em, range, hours);
}
