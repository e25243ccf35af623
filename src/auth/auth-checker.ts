import type { AuthChecker } from 'type-graphql';
import { forbidden, unauthenticated } from '../domain/errors';
import { Role, roleAtLeast } from '../domain/role';
import type { GraphQLContext } from './context';

/** `@Authorized(OPERATOR)` marks the platform operator's operations (ADMIN_TOKEN). */
export const OPERATOR = 'OPERATOR';

/**
 * `@Authorized()` needs any organization member; `@Authorized(Role.ADMIN)` needs that role or
 * above. Throws typed errors itself so clients see UNAUTHENTICATED or FORBIDDEN, never a generic one.
 */
export const authChecker: AuthChecker<GraphQLContext> = ({ context }, roles) => {
  const viewer = context.viewer;
  if (!viewer) throw unauthenticated();
  if (roles.includes(OPERATOR)) {
    if (viewer.kind !== 'operator') throw forbidden('Only the platform operator may do this');
    return true;
  }
  if (viewer.kind !== 'member') throw forbidden('The operator token only manages organizations');
  const required = (roles[0] as Role | undefined) ?? Role.VIEWER;
  if (!roleAtLeast(viewer.role, required)) throw forbidden(`This needs the ${required} role or above`);
  return true;
};
