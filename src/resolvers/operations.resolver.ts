import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../auth/context';
import { OPERATOR } from '../auth/auth-checker';
import { probeWorkers } from '../services/operations.service';
import { ProbeWorkersInput, ProbeWorkersPayload } from './types/operations.types';

@Resolver()
export class OperationsResolver {
  @Authorized(OPERATOR)
  @Mutation(() => ProbeWorkersPayload, { description: 'Platform operator only: proves a worker takes jobs end to end' })
  probeWorkers(@Arg('input', () => ProbeWorkersInput, { nullable: true }) input: ProbeWorkersInput | null, @Ctx() ctx: GraphQLContext) {
    return probeWorkers(ctx.deps.queues, input?.delayMs ?? 0, ctx.requestId);
  }
}
