import { Arg, Args, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../auth/context';
import { Role } from '../domain/role';
import { createApiKey, listApiKeys, revokeApiKey } from '../services/api-key.service';
import { memberScope } from './member-scope';
import { ApiKeyConnection, CreateApiKeyInput, CreateApiKeyPayload, RevokeApiKeyInput, RevokeApiKeyPayload } from './types/api-key.types';
import { PageArgs } from './types/page.args';

@Resolver()
export class ApiKeyResolver {
  @Authorized(Role.ADMIN)
  @Query(() => ApiKeyConnection, { description: 'Active API keys of the organization' })
  apiKeys(@Args() page: PageArgs, @Ctx() ctx: GraphQLContext) {
    return listApiKeys(memberScope(ctx), page);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => CreateApiKeyPayload)
  createApiKey(@Arg('input') input: CreateApiKeyInput, @Ctx() ctx: GraphQLContext) {
    return createApiKey(memberScope(ctx), input);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => RevokeApiKeyPayload, { description: 'The key stops working at once' })
  async revokeApiKey(@Arg('input') input: RevokeApiKeyInput, @Ctx() ctx: GraphQLContext) {
    return { apiKey: await revokeApiKey(memberScope(ctx), input.id) };
  }
}
