import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../auth/context';
import { OPERATOR } from '../auth/auth-checker';
import { systemEm } from '../db/entity-manager';
import { ApiKey } from '../entities/api-key.entity';
import { Organization } from '../entities/organization.entity';
import { User } from '../entities/user.entity';
import { unauthenticated } from '../domain/errors';
import { createOrganization } from '../services/organization.service';
import { CreateOrganizationInput, CreateOrganizationPayload, ViewerInfo } from './types/organization.types';

@Resolver()
export class OrganizationResolver {
  @Authorized(OPERATOR)
  @Mutation(() => CreateOrganizationPayload, { description: 'Platform operator only (ADMIN_TOKEN)' })
  async createOrganization(@Arg('input') input: CreateOrganizationInput, @Ctx() ctx: GraphQLContext) {
    return createOrganization(systemEm(ctx.deps.orm), input);
  }

  @Query(() => ViewerInfo, { description: 'Who is calling' })
  async viewer(@Ctx() ctx: GraphQLContext): Promise<ViewerInfo> {
    const viewer = ctx.viewer;
    if (!viewer) throw unauthenticated();
    if (viewer.kind === 'operator') return { organization: null, role: null, user: null, apiKey: null, isOperator: true };
    const [organization, user, apiKey] = await Promise.all([
      ctx.em.findOneOrFail(Organization, { id: viewer.organizationId }),
      viewer.userId ? ctx.em.findOne(User, { id: viewer.userId }) : null,
      viewer.apiKeyId ? ctx.em.findOne(ApiKey, { id: viewer.apiKeyId }) : null,
    ]);
    return { organization, role: viewer.role, user, apiKey, isOperator: false };
  }
}
