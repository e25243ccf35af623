import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../auth/context';
import { FlowVersion } from '../entities/flow-version.entity';
import { Flow } from '../entities/flow.entity';
import { Role } from '../domain/role';
import { validateFlow } from '../domain/flow/flow-validation';
import * as flows from '../services/flows/flow.service';
import { memberScope } from './member-scope';
import { PageArgs } from './types/page.args';
import {
  CreateFlowInput,
  DuplicateFlowInput,
  ExportFlowInput,
  ExportFlowPayload,
  FlowConnection,
  FlowFilter,
  FlowIdInput,
  FlowPayload,
  UpdateFlowDraftInput,
  ValidateFlowInput,
  ValidateFlowPayload,
} from './types/flow.types';

@Resolver(() => Flow)
export class FlowResolver {
  @Authorized()
  @Query(() => FlowConnection)
  flows(@Arg('filter', () => FlowFilter, { nullable: true }) filter: FlowFilter | null, @Args() page: PageArgs, @Ctx() ctx: GraphQLContext) {
    return flows.listFlows(memberScope(ctx), filter ?? {}, page);
  }

  @Authorized()
  @Query(() => Flow)
  flow(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return flows.getFlow(memberScope(ctx), id, 'id');
  }

  @Authorized()
  @Query(() => ExportFlowPayload, { description: 'The section 11 JSON of a version (published by default)' })
  async exportFlow(@Arg('input') input: ExportFlowInput, @Ctx() ctx: GraphQLContext) {
    const scope = memberScope(ctx);
    const flow = await flows.getFlow(scope, input.flowId);
    return { definition: await flows.exportFlow(scope, input.flowId, input.version), version: input.version ?? flow.publishedVersion ?? null };
  }

  @Authorized()
  @Mutation(() => ValidateFlowPayload, { description: 'Checks a definition without saving it; lists every problem' })
  validateFlow(@Arg('input') input: ValidateFlowInput): ValidateFlowPayload {
    const result = validateFlow(input.definition);
    return result.ok ? { valid: true, problems: [] } : { valid: false, problems: result.problems };
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => FlowPayload, { description: 'FLOW_INVALID lists every problem with its node id and field' })
  async createFlow(@Arg('input') input: CreateFlowInput, @Ctx() ctx: GraphQLContext) {
    return { flow: await flows.createFlow(memberScope(ctx), input) };
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => FlowPayload, { description: 'Same as createFlow: a new flow from exported JSON' })
  async importFlow(@Arg('input') input: CreateFlowInput, @Ctx() ctx: GraphQLContext) {
    return { flow: await flows.createFlow(memberScope(ctx), input) };
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => FlowPayload)
  async updateFlowDraft(@Arg('input') input: UpdateFlowDraftInput, @Ctx() ctx: GraphQLContext) {
    const { flowId, name, description, definition } = input;
    return { flow: await flows.updateFlowDraft(memberScope(ctx), flowId, { name: name ?? undefined, description, definition }) };
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => FlowPayload, { description: 'The draft becomes the next immutable version' })
  async publishFlow(@Arg('input') input: FlowIdInput, @Ctx() ctx: GraphQLContext) {
    return { flow: await flows.publishFlow(memberScope(ctx), input.flowId) };
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => FlowPayload)
  async archiveFlow(@Arg('input') input: FlowIdInput, @Ctx() ctx: GraphQLContext) {
    return { flow: await flows.archiveFlow(memberScope(ctx), input.flowId) };
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => FlowPayload)
  async duplicateFlow(@Arg('input') input: DuplicateFlowInput, @Ctx() ctx: GraphQLContext) {
    return { flow: await flows.duplicateFlow(memberScope(ctx), input.flowId, input.name) };
  }

  @FieldResolver(() => [FlowVersion], { description: 'Published versions, newest first' })
  versions(@Root() flow: Flow, @Ctx() ctx: GraphQLContext) {
    return flows.listVersions(memberScope(ctx), flow);
  }
}
