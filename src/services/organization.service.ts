import { Organization } from '../entities/organization.entity';
import type { EntityManager } from '../db/entity-manager';
import { Role } from '../domain/role';
import { issueApiKey } from './api-key.service';

/** Operator use case: a new tenant with its first OWNER API key (the secret is returned once). */
export async function createOrganization(systemEm: EntityManager, input: { name: string; timezone?: string | null }) {
  const organization = systemEm.create(Organization, { name: input.name.trim(), ...(input.timezone ? { timezone: input.timezone } : {}) });
  const { apiKey, secret } = issueApiKey(systemEm, organization, 'Owner key', Role.OWNER);
  await systemEm.flush();
  return { organization, apiKey, secret };
}
