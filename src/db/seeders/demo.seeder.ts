import { randomBytes } from 'node:crypto';
import { Organization } from '../../entities/organization.entity';
import { User } from '../../entities/user.entity';
import { hashPassword } from '../../auth/password';
import { Role } from '../../domain/role';
import { issueApiKey } from '../../services/api-key.service';
import type { EntityManager } from '../entity-manager';

/** Fixed id so repeated starts find the same demo organization. */
export const DEMO_ORGANIZATION_ID = '00000000-0000-4000-8000-00000000de00';
export const DEMO_EMAIL = 'demo@example.com';

export interface DemoSeed {
  organization: Organization;
  /** Present only when a new key or password was made on this run (they are stored hashed). */
  apiKey?: string;
  password?: string;
}

/**
 * The local demo: one organization with an OWNER user. A new API key is issued only when asked
 * (the caller keeps the secret in a git-ignored file, since we store only its hash).
 */
export async function seedDemo(systemEm: EntityManager, options: { issueKey: boolean }): Promise<DemoSeed> {
  let organization = await systemEm.findOne(Organization, { id: DEMO_ORGANIZATION_ID });
  const seed: DemoSeed = { organization: organization! };
  if (!organization) {
    organization = systemEm.create(Organization, { id: DEMO_ORGANIZATION_ID, name: 'Demo Company' });
    seed.organization = organization;
  }
  const owner = await systemEm.findOne(User, { email: DEMO_EMAIL });
  if (!owner) {
    seed.password = randomBytes(9).toString('base64url');
    systemEm.create(User, {
      organization,
      email: DEMO_EMAIL,
      name: 'Demo Owner',
      role: Role.OWNER,
      passwordHash: await hashPassword(seed.password),
    });
  }
  if (options.issueKey) seed.apiKey = issueApiKey(systemEm, organization, 'Demo key', Role.OWNER).secret;
  await systemEm.flush();
  return seed;
}
