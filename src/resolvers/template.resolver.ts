import { Arg, Args, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../auth/context';
import { Role } from '../domain/role';
import { listTemplates } from '../services/conversation-read.service';
import { createTemplate, deleteTemplate, requestTemplateSync } from '../services/templates/template.service';
import { memberScope } from './member-scope';
import { PageArgs } from './types/page.args';
import {
  CreateTemplateInput,
  SyncTemplatesInput,
  SyncTemplatesPayload,
  TemplateConnection,
  TemplateFilter,
  TemplateIdInput,
  TemplatePayload,
} from './types/template.types';

@Resolver()
export class TemplateResolver {
  @Authorized()
  @Query(() => TemplateConnection)
  templates(
    @Arg('filter', () => TemplateFilter, { nullable: true }) filter: TemplateFilter | null,
    @Args() page: PageArgs,
    @Ctx() ctx: GraphQLContext,
  ) {
    return listTemplates(memberScope(ctx), filter ?? {}, page);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => TemplatePayload, { description: 'Validated here, then submitted to Meta for review by a job' })
  async createTemplate(@Arg('input') input: CreateTemplateInput, @Ctx() ctx: GraphQLContext) {
    return { template: await createTemplate(memberScope(ctx), ctx.deps, input) };
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => TemplatePayload, { description: 'Deletes this language of the template at Meta' })
  async deleteTemplate(@Arg('input') input: TemplateIdInput, @Ctx() ctx: GraphQLContext) {
    return { template: await deleteTemplate(memberScope(ctx), ctx.deps, input.templateId) };
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => SyncTemplatesPayload, { description: "Pulls every template of the channel's WhatsApp Business Account from Meta" })
  async syncTemplates(@Arg('input') input: SyncTemplatesInput, @Ctx() ctx: GraphQLContext) {
    await requestTemplateSync(memberScope(ctx), ctx.deps, input.channelId);
    return { queued: true };
  }
}
