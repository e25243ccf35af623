import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../auth/context';
import { AnalyticsRangeInput, resolveRange } from '../../services/analytics/analytics-range';
import { deliveryFunnel, resolveDeliveryFilters } from '../../services/analytics/delivery/delivery-funnel.service';
import { memberScope } from '../member-scope';
import { DeliveryFunnel, DeliveryGrouping } from '../types/analytics/delivery-analytics.types';

@Resolver()
export class DeliveryAnalyticsResolver {
  @Authorized()
  @Query(() => DeliveryFunnel, {
    description:
      'Queued, sent, delivered, read, replied and failed outbound messages per template, flow node or channel, with rates, ' +
      'the top Meta error codes and the pricing categories. Another organization\'s flowId, templateId or channelId is NOT_FOUND.',
  })
  async deliveryFunnel(
    @Arg('range', () => AnalyticsRangeInput) rangeInput: AnalyticsRangeInput,
    @Arg('by', () => DeliveryGrouping, { defaultValue: DeliveryGrouping.CHANNEL }) by: DeliveryGrouping,
    @Arg('flowId', () => ID, { nullable: true, description: 'Only messages this flow sent' }) flowId: string | null,
    @Arg('flowVersion', () => Int, { nullable: true, description: 'Only messages this version of flowId sent' }) flowVersion: number | null,
    @Arg('templateId', () => ID, { nullable: true, description: 'Only messages sent from this template' }) templateId: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<DeliveryFunnel> {
    const scope = memberScope(ctx);
    const range = await resolveRange(scope, rangeInput);
    const filters = await resolveDeliveryFilters(scope, { by, flowId, flowVersion, templateId });
    return deliveryFunnel(scope.em, range, filters);
  }
}
