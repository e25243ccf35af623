import { LockMode } from '@mikro-orm/core';
import { User } from '../entities/user.entity';
import type { EntityManager } from '../db/entity-manager';
import { paginate, type PageArgs } from '../db/paginate';
import { randomToken, sha256 } from '../auth/opaque-token';
import { hashPassword } from '../auth/password';
import { badInput, conflict, forbidden } from '../domain/errors';
import { findById } from '../db/find-by-id';
import { Role, roleAtLeast } from '../domain/role';
import { organizationRef, type MemberScope } from './scope';
import { revokeUserSessions } from './session.service';

const INVITE_TTL_MS = 7 * 86_400_000;

export async function inviteUser(scope: MemberScope, input: { email: string; name: string; role: Role }) {
  if (!roleAtLeast(scope.viewer.role, input.role)) throw forbidden('You cannot invite someone with a role above your own');
  const email = input.email.trim().toLowerCase();
  // Emails are unique platform-wide, so this check must look past the tenant filter.
  const taken = await scope.em.count(User, { email }, { filters: false });
  if (taken) throw conflict('A user with this email already exists', 'email');
  const inviteToken = randomToken();
  const user = scope.em.create(User, {
    organization: organizationRef(scope),
    email,
    name: input.name.trim(),
    role: input.role,
    inviteTokenHash: sha256(inviteToken),
    inviteExpiresAt: new Date(Date.now() + INVITE_TTL_MS),
  });
  await scope.em.flush();
  return { user, inviteToken };
}

/** The invited person chooses a password; the one-time token is consumed. */
export async function acceptInvite(systemEm: EntityManager, token: string, password: string): Promise<User> {
  const user = await systemEm.findOne(User, { inviteTokenHash: sha256(token) });
  if (!user || !user.inviteExpiresAt || user.inviteExpiresAt <= new Date() || user.deactivatedAt) {
    throw badInput('token', 'The invitation is invalid or has expired');
  }
  user.passwordHash = await hashPassword(password);
  user.inviteTokenHash = null;
  user.inviteExpiresAt = null;
  await systemEm.flush();
  return user;
}

const findMember = (scope: MemberScope, id: string) => findById(scope.em, User, id, 'User');

/** Nobody may act on a member ranked above them, nor grant a role above their own. */
function assertCanManage(scope: MemberScope, target: User, newRole?: Role) {
  if (!roleAtLeast(scope.viewer.role, target.role) || (newRole && !roleAtLeast(scope.viewer.role, newRole))) {
    throw forbidden('You cannot manage a member with a role above your own');
  }
}

/**
 * Changes a member unless that would leave the organization without an active owner. Locking the
 * owners serialises concurrent demotions and deactivations, so two of them cannot remove the last.
 */
async function changeKeepingAnOwner(scope: MemberScope, user: User, change: Partial<Pick<User, 'role' | 'deactivatedAt'>>, field: string) {
  const losesOwner = user.role === Role.OWNER && !user.deactivatedAt && (change.deactivatedAt || (change.role && change.role !== Role.OWNER));
  if (!losesOwner) {
    Object.assign(user, change);
    await scope.em.flush();
    return;
  }
  await scope.em.transactional(async (tx) => {
    const owners = await tx.find(User, { role: Role.OWNER, deactivatedAt: null }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (owners.length <= 1) throw conflict('An organization keeps at least one active owner', field);
    await tx.nativeUpdate(User, { id: user.id }, change);
  });
  Object.assign(user, change);
}

export async function updateUserRole(scope: MemberScope, id: string, role: Role): Promise<User> {
  const user = await findMember(scope, id);
  assertCanManage(scope, user, role);
  await changeKeepingAnOwner(scope, user, { role }, 'role');
  return user;
}

export async function deactivateUser(scope: MemberScope, id: string): Promise<User> {
  const user = await findMember(scope, id);
  assertCanManage(scope, user);
  if (user.id === scope.viewer.userId) throw conflict('You cannot deactivate yourself', 'id');
  if (!user.deactivatedAt) await changeKeepingAnOwner(scope, user, { deactivatedAt: new Date() }, 'id');
  await revokeUserSessions(scope.em, user.id);
  return user;
}

export const listUsers = (scope: MemberScope, page: PageArgs) => paginate(scope.em, User, {}, page);
