import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../auth/context';
import { AnalyticsRangeInput } from '../../services/analytics/analytics-range';
import { flowFunnel } from '../../services/analytics/flows/flow-funnel.service';
import { flowReport } from '../../services/analytics/flows/flow-report.service';
import { memberScope } from '../member-scope';
import { FlowFunnel, FlowReport } from '../types/analytics/flow-analytics.types';

@Resolver()
export class FlowAnalyticsResolver {
  @Authorized()
  @Query(() => FlowReport, { description: 'Sessions of a flow started in the range: outcomes, rates, durations, messages, against the previous period' })
  flowReport(
    @Arg('flowId', () => ID) flowId: string,
    @Arg('version', () => Int, { nullable: true, description: 'One version only (default: all versions)' }) version: number | null,
    @Arg('range', () => AnalyticsRangeInput) range: AnalyticsRangeInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return flowReport(memberScope(ctx), flowId, version, range);
  }

  @Authorized()
  @Query(() => FlowFunnel, { description: 'The node heatmap of one flow version: visits, exits, drop-off (delivery failed or went silent), time to answer' })
  flowFunnel(
    @Arg('flowId', () => ID) flowId: string,
    @Arg('version', () => Int) version: number,
    @Arg('range', () => AnalyticsRangeInput) range: AnalyticsRangeInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return flowFunnel(memberScope(ctx), flowId, version, range);
  }
}
