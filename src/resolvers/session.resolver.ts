import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../auth/context';
import { systemEm } from '../db/entity-manager';
import { login, refreshSession, revokeSession } from '../services/session.service';
import { memberScope } from './member-scope';
import { LoginInput, LogoutPayload, RefreshTokenInput, SessionPayload } from './types/session.types';

@Resolver()
export class SessionResolver {
  @Mutation(() => SessionPayload, { description: "A member's sign-in with email and password" })
  login(@Arg('input') input: LoginInput, @Ctx() ctx: GraphQLContext) {
    return login(systemEm(ctx.deps.orm), ctx.deps, input.email, input.password);
  }

  @Mutation(() => SessionPayload, { description: 'Exchanges a refresh token (single use) for a new session token' })
  refreshToken(@Arg('input') input: RefreshTokenInput, @Ctx() ctx: GraphQLContext) {
    return refreshSession(systemEm(ctx.deps.orm), ctx.deps, input.refreshToken);
  }

  @Authorized()
  @Mutation(() => LogoutPayload, { description: 'Ends the current session; false when called with an API key' })
  async logout(@Ctx() ctx: GraphQLContext) {
    const { viewer, em } = memberScope(ctx);
    if (!viewer.sessionId) return { success: false };
    await revokeSession(em, viewer.sessionId);
    return { success: true };
  }
}
