import { Arg, Authorized, Ctx, Field, Float, ID, InputType, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { Job } from 'bullmq';
import type { GraphQLContext } from '../../auth/context';
import { Role } from '../../domain/role';
import { badInput, notFound } from '../../domain/errors';
import { MAX_RANGE_DAYS } from '../../services/analytics/analytics-range';
import { memberScope } from '../member-scope';

@InputType()
export class RebuildAnalyticsInput {
  @Field({ description: 'Start, inclusive' })
  from!: Date;

  @Field({ description: 'End, exclusive; at most 400 days after from' })
  to!: Date;
}

@ObjectType({ description: 'A rollup rebuild (a job on the analytics queue, also visible on the board)' })
export class AnalyticsRebuild {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'waiting, active, completed, failed or delayed' })
  state!: string;

  @Field(() => Float, { description: 'Percent done, 0 to 100' })
  progress!: number;

  @Field()
  from!: Date;

  @Field()
  to!: Date;

  @Field(() => String, { nullable: true })
  failedReason!: string | null;
}

async function describe(job: Job): Promise<AnalyticsRebuild> {
  const progress = typeof job.progress === 'number' ? job.progress : 0;
  return {
    id: job.id!,
    state: await job.getState(),
    progress,
    from: new Date(job.data.from),
    to: new Date(job.data.to),
    failedReason: job.failedReason ?? null,
  };
}

@Resolver()
export class AnalyticsAdminResolver {
  @Authorized(Role.ADMIN)
  @Mutation(() => AnalyticsRebuild, { description: "Recomputes the organization's report rollups for a range from the raw data" })
  async rebuildAnalytics(@Arg('input') input: RebuildAnalyticsInput, @Ctx() ctx: GraphQLContext) {
    const scope = memberScope(ctx);
    if (input.to.getTime() <= input.from.getTime()) throw badInput('input.to', 'to must be after from');
    if (input.to.getTime() - input.from.getTime() > MAX_RANGE_DAYS * 86_400_000) throw badInput('input.to', `At most ${MAX_RANGE_DAYS} days at once`);
    const job = await ctx.deps.queues.add('analytics', 'rebuild-analytics', {
      organizationId: scope.viewer.organizationId,
      from: input.from.toISOString(),
      to: input.to.toISOString(),
      requestId: ctx.requestId,
    });
    return describe(job);
  }

  @Authorized()
  @Query(() => AnalyticsRebuild, { description: 'A rebuild started by rebuildAnalytics, with its progress' })
  async analyticsRebuild(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    const scope = memberScope(ctx);
    const job = id.length <= 100 ? await ctx.deps.queues.get('analytics').getJob(id) : undefined;
    // Another organization's rebuild is as unknown as a missing one.
    if (!job || job.name !== 'rebuild-analytics' || job.data.organizationId !== scope.viewer.organizationId) throw notFound('Rebuild', 'id');
    return describe(job);
  }
}
