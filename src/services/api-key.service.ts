import { ApiKey } from '../entities/api-key.entity';
import { User } from '../entities/user.entity';
import type { EntityManager } from '../db/entity-manager';
import { paginate, type PageArgs } from '../db/paginate';
import { generateApiKey, sha256 } from '../auth/opaque-token';
import { forbidden } from '../domain/errors';
import { findById } from '../db/find-by-id';
import { type Role, roleAtLeast } from '../domain/role';
import type { Organization } from '../entities/organization.entity';
import { organizationRef, type MemberScope } from './scope';

export interface CreateApiKeyInput {
  name: string;
  role: Role;
  /** The member the key acts for; agent features attribute its actions to them. */
  userId?: string | null;
}

/** Creates the row and returns the secret, which exists nowhere else after this call. */
export function issueApiKey(em: EntityManager, organization: Organization, name: string, role: Role, user?: User | null) {
  const { key, prefix } = generateApiKey();
  const apiKey = em.create(ApiKey, { organization, name, role, prefix, secretHash: sha256(key), user: user ?? null });
  return { apiKey, secret: key };
}

export async function createApiKey(scope: MemberScope, input: CreateApiKeyInput) {
  if (!roleAtLeast(scope.viewer.role, input.role)) throw forbidden('You cannot create a key with a role above your own');
  const user = input.userId ? await findById(scope.em, User, input.userId, 'User', 'userId') : null;
  const issued = issueApiKey(scope.em, organizationRef(scope), input.name, input.role, user);
  await scope.em.flush();
  return issued;
}

export async function revokeApiKey(scope: MemberScope, id: string): Promise<ApiKey> {
  const apiKey = await findById(scope.em, ApiKey, id, 'API key');
  // As with members: an ADMIN must not be able to lock the owners out by revoking their keys.
  if (!roleAtLeast(scope.viewer.role, apiKey.role)) throw forbidden('You cannot revoke a key with a role above your own');
  apiKey.revokedAt ??= new Date();
  await scope.em.flush();
  return apiKey;
}

export const listApiKeys = (scope: MemberScope, page: PageArgs, includeRevoked = false) =>
  paginate(scope.em, ApiKey, includeRevoked ? {} : { revokedAt: null }, page);
