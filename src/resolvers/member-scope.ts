import type { GraphQLContext } from '../auth/context';
import { unauthenticated } from '../domain/errors';
import type { MemberScope } from '../services/scope';

/** The caller as an organization member; resolvers behind `@Authorized()` always have one. */
export function memberScope(context: GraphQLContext): MemberScope {
  const viewer = context.viewer;
  if (viewer?.kind !== 'member') throw unauthenticated();
  return { em: context.em, viewer };
}
