import { randomBytes } from 'node:crypto';
import { Channel } from '../../entities/channel.entity';
import { Flow } from '../../entities/flow.entity';
import { Organization } from '../../entities/organization.entity';
import { Template } from '../../entities/template.entity';
import { User } from '../../entities/user.entity';
import { hashPassword } from '../../auth/password';
import type { SecretBox } from '../../auth/secret-box';
import { Role } from '../../domain/role';
import { SAMPLE_FLOW } from '../../domain/flow/sample-flow';
import { issueApiKey } from '../../services/api-key.service';
import { createFlow, publishFlow, setDefaultFlow } from '../../services/flows/flow.service';
import type { MemberScope } from '../../services/scope';
import { systemEm, tenantEm } from '../entity-manager';
import type { Orm } from '../orm';

/** Fixed ids, so repeated starts find the same demo rows instead of adding new ones. */
export const DEMO_ORGANIZATION_ID = '00000000-0000-4000-8000-00000000de00';
export const DEMO_CHANNEL_ID = '00000000-0000-4000-8000-00000000de01';
export const DEMO_TEMPLATE_ID = '00000000-0000-4000-8000-00000000de02';
export const DEMO_EMAIL = 'demo@example.com';
/** createFlow picks the flow's id, so the seeded flow is found again by this name. */
export const DEMO_FLOW_NAME = 'Sample flow';

/** The demo WhatsApp number. Its token is not a secret: only the fake Graph API ever sees it. */
export const DEMO_CHANNEL = {
  phoneNumberId: '100000000000001',
  wabaId: '200000000000001',
  displayPhoneNumber: '+1 555 010 0001',
  name: 'Demo number',
  accessToken: 'EAAG-local-demo-token',
} as const;

/** One APPROVED template, in the database and (registered by the caller) in the fake Graph API. */
export const DEMO_TEMPLATE = {
  /** Meta's ids exceed 2^53; so does this one, like the fake's own. */
  metaTemplateId: '9100000000000001',
  name: 'welcome_back',
  language: 'en',
  category: 'UTILITY',
  components: [{ type: 'BODY', text: 'Hi {{1}}, welcome back!', example: { body_text: [['Ana']] } }],
};

export interface DemoSeed {
  organization: Organization;
  channel: Channel;
  /** Null when the organization has flows but none named DEMO_FLOW_NAME (see seedFlow). */
  flow: Flow | null;
  template: Template;
  /** Present only when a new key or password was made on this run (they are stored hashed). */
  apiKey?: string;
  password?: string;
}

/**
 * The local demo: an organization with an OWNER user, a WhatsApp channel whose default flow is the
 * published sample flow, and an approved template. Safe to run at every start: it only adds what is
 * missing, and never changes what a user edited (a new API key is issued only when asked, since the
 * caller keeps the secret: we store only its hash).
 */
export async function seedDemo(orm: Orm, options: { issueKey: boolean; secrets: SecretBox }): Promise<DemoSeed> {
  const em = systemEm(orm);
  const seed: Partial<DemoSeed> = {};
  const organization =
    (await em.findOne(Organization, { id: DEMO_ORGANIZATION_ID })) ?? em.create(Organization, { id: DEMO_ORGANIZATION_ID, name: 'Demo Company' });
  let owner = await em.findOne(User, { email: DEMO_EMAIL });
  if (!owner) {
    seed.password = randomBytes(9).toString('base64url');
    owner = em.create(User, {
      organization,
      email: DEMO_EMAIL,
      name: 'Demo Owner',
      role: Role.OWNER,
      passwordHash: await hashPassword(seed.password),
    });
  }
  if (options.issueKey) seed.apiKey = issueApiKey(em, organization, 'Demo key', Role.OWNER).secret;
  await em.flush();

  // Tenant-scoped, as for a signed-in owner: the flow services' checks (keyword clashes) look at this organization only.
  const scope: MemberScope = {
    em: tenantEm(orm, DEMO_ORGANIZATION_ID),
    viewer: { kind: 'member', organizationId: DEMO_ORGANIZATION_ID, role: Role.OWNER, userId: owner.id, apiKeyId: null, sessionId: null },
  };
  const { channel, created: newChannel } = await seedChannel(scope, options.secrets);
  const { flow, changed } = await seedFlow(scope);
  if (flow && !channel.defaultFlow && (newChannel || changed) && !flow.archivedAt) {
    await setDefaultFlow(scope, channel, flow.id);
    await scope.em.flush();
  }
  const template = await seedTemplate(scope);
  return { ...seed, organization, channel, flow, template };
}

async function seedChannel(scope: MemberScope, secrets: SecretBox): Promise<{ channel: Channel; created: boolean }> {
  const existing = await scope.em.findOne(Channel, { id: DEMO_CHANNEL_ID });
  if (existing) {
    // .local/dev.env may have been regenerated with a new ENCRYPTION_KEY: the demo token is known, so seal it again.
    if (!opens(secrets, existing.accessTokenEncrypted)) {
      existing.accessTokenEncrypted = secrets.seal(DEMO_CHANNEL.accessToken);
      await scope.em.flush();
    }
    return { channel: existing, created: false };
  }
  const { accessToken, ...fields } = DEMO_CHANNEL;
  const channel = scope.em.create(Channel, {
    id: DEMO_CHANNEL_ID,
    organization: scope.em.getReference(Organization, DEMO_ORGANIZATION_ID),
    ...fields,
    accessTokenEncrypted: secrets.seal(accessToken),
  });
  await scope.em.flush();
  return { channel, created: true };
}

function opens(secrets: SecretBox, sealed: string): boolean {
  try {
    return secrets.open(sealed) === DEMO_CHANNEL.accessToken;
  } catch {
    return false;
  }
}

/**
 * Created and published through the flow services, so the sample flow passes the same validation
 * as any user's. Found again by its name; once the organization has flows of its own (say the
 * sample was renamed), none is added: a second copy would only clash with their keywords.
 */
async function seedFlow(scope: MemberScope): Promise<{ flow: Flow | null; changed: boolean }> {
  let flow = await scope.em.findOne(Flow, { name: DEMO_FLOW_NAME }, { orderBy: { createdAt: 'asc' } });
  let changed = false;
  if (!flow) {
    if (await scope.em.count(Flow, {})) return { flow: null, changed };
    flow = await createFlow(scope, {
      name: DEMO_FLOW_NAME,
      description: 'Seeded by npm start: every node type, to try with npm run chat.',
      definition: structuredClone(SAMPLE_FLOW),
    });
    changed = true;
  }
  if (!flow.publishedVersion && !flow.archivedAt) {
    flow = await publishFlow(scope, flow.id);
    changed = true;
  }
  return { flow, changed };
}

async function seedTemplate(scope: MemberScope): Promise<Template> {
  const existing = await scope.em.findOne(Template, { id: DEMO_TEMPLATE_ID });
  if (existing) return existing;
  const { metaTemplateId, name, language, category, components } = DEMO_TEMPLATE;
  const template = scope.em.create(Template, {
    id: DEMO_TEMPLATE_ID,
    organization: scope.em.getReference(Organization, DEMO_ORGANIZATION_ID),
    wabaId: DEMO_CHANNEL.wabaId,
    metaTemplateId,
    name,
    language,
    category,
    components: structuredClone(components),
    status: 'APPROVED',
    statusDetails: { parameterFormat: 'POSITIONAL' },
  });
  await scope.em.flush();
  return template;
}
