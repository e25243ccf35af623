import { Arg, Args, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../auth/context';
import { systemEm } from '../db/entity-manager';
import { Role } from '../domain/role';
import { startSession } from '../services/session.service';
import { acceptInvite, deactivateUser, inviteUser, listUsers, updateUserRole } from '../services/user.service';
import { memberScope } from './member-scope';
import { PageArgs } from './types/page.args';
import { SessionPayload } from './types/session.types';
import {
  AcceptInviteInput,
  DeactivateUserInput,
  InviteUserInput,
  InviteUserPayload,
  UpdateUserRoleInput,
  UserConnection,
  UserPayload,
} from './types/user.types';

@Resolver()
export class UserResolver {
  @Authorized()
  @Query(() => UserConnection, { description: 'Members of the organization' })
  users(@Args() page: PageArgs, @Ctx() ctx: GraphQLContext) {
    return listUsers(memberScope(ctx), page);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => InviteUserPayload, { description: 'Creates a member who sets a password with acceptInvite' })
  inviteUser(@Arg('input') input: InviteUserInput, @Ctx() ctx: GraphQLContext) {
    return inviteUser(memberScope(ctx), input);
  }

  @Mutation(() => SessionPayload, { description: 'Sets the password of an invited member and signs them in' })
  async acceptInvite(@Arg('input') input: AcceptInviteInput, @Ctx() ctx: GraphQLContext) {
    const em = systemEm(ctx.deps.orm);
    const user = await acceptInvite(em, input.token, input.password);
    return startSession(em, ctx.deps, user);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => UserPayload)
  async updateUserRole(@Arg('input') input: UpdateUserRoleInput, @Ctx() ctx: GraphQLContext) {
    return { user: await updateUserRole(memberScope(ctx), input.id, input.role) };
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => UserPayload, { description: 'Signs the member out everywhere and blocks sign-in' })
  async deactivateUser(@Arg('input') input: DeactivateUserInput, @Ctx() ctx: GraphQLContext) {
    return { user: await deactivateUser(memberScope(ctx), input.id) };
  }
}
