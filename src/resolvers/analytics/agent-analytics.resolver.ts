import { Arg, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../auth/context';
import { AnalyticsRangeInput } from '../../services/analytics/analytics-range';
import { agentMetrics } from '../../services/analytics/agents/agent-metrics.service';
import { memberScope } from '../member-scope';
import { AgentMetrics, BusinessHoursInput } from '../types/analytics/agent-analytics.types';

@Resolver()
export class AgentAnalyticsResolver {
  @Authorized()
  @Query(() => AgentMetrics, {
    description:
      'Per agent and overall: handling episodes, conversations handled, messages sent, first response and resolution times (median, p90). ' +
      'Episodes count in the range where they began; with businessHours only time inside them counts toward the durations.',
  })
  agentMetrics(
    @Arg('range', () => AnalyticsRangeInput) range: AnalyticsRangeInput,
    @Arg('businessHours', () => BusinessHoursInput, { nullable: true }) businessHours: BusinessHoursInput | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return agentMetrics(memberScope(ctx), range, businessHours);
  }
}
