import { Arg, Args, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../auth/context';
import { OPERATOR } from '../auth/auth-checker';
import { systemEm } from '../db/entity-manager';
import { isUuid } from '../db/find-by-id';
import { paginate } from '../db/paginate';
import { DeliveryStatus, WebhookDelivery } from '../entities/webhook-delivery.entity';
import { badInput } from '../domain/errors';
import { replayDeliveries } from '../services/inbound/delivery-maintenance.service';
import { PageArgs } from './types/page.args';
import {
  ReplayWebhookDeliveriesInput,
  ReplayWebhookDeliveriesPayload,
  WebhookDeliveryConnection,
} from './types/webhook-delivery.types';

@Resolver()
export class WebhookDeliveryResolver {
  @Authorized(OPERATOR)
  @Query(() => WebhookDeliveryConnection, { description: 'Platform operator only: the webhook inbox, newest first' })
  webhookDeliveries(
    @Arg('status', () => DeliveryStatus, { nullable: true }) status: DeliveryStatus | null,
    @Args() page: PageArgs,
    @Ctx() ctx: GraphQLContext,
  ) {
    return paginate(systemEm(ctx.deps.orm), WebhookDelivery, status ? { status } : {}, page, { field: 'receivedAt', direction: 'desc' });
  }

  @Authorized(OPERATOR)
  @Mutation(() => ReplayWebhookDeliveriesPayload, { description: 'Platform operator only: processes deliveries again (idempotent)' })
  async replayWebhookDeliveries(@Arg('input') input: ReplayWebhookDeliveriesInput, @Ctx() ctx: GraphQLContext) {
    const ids = input.ids ?? [];
    const malformed = ids.find((id) => !isUuid(id));
    if (malformed) throw badInput('ids', `"${malformed.slice(0, 40)}" is not a delivery id`);
    const em = systemEm(ctx.deps.orm);
    if (input.allFailed) {
      const failed = await em.find(WebhookDelivery, { status: DeliveryStatus.FAILED }, { fields: ['id'], limit: 1000 });
      ids.push(...failed.map((delivery) => delivery.id));
    }
    if (!ids.length) throw badInput('ids', 'Name deliveries in ids, or set allFailed');
    return { replayed: await replayDeliveries(em, ctx.deps.queues, [...new Set(ids)]) };
  }
}
