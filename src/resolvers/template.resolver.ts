import { Arg, Args, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../auth/context';
import { listTemplates } from '../services/conversation-read.service';
import { memberScope } from './member-scope';
import { PageArgs } from './types/page.args';
import { TemplateConnection, TemplateFilter } from './types/template.types';

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
}
