import { gql } from 'graphql-request';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { channelInput, createOrganization, errorCodes, firstError, type TestOrganization } from '../helpers/fixtures';
import {
  API_KEYS,
  CREATE_API_KEY,
  DEACTIVATE_USER,
  INVITE_USER,
  REVOKE_API_KEY,
  UPDATE_USER_ROLE,
  USERS,
  VIEWER,
  addMember,
  createApiKey,
  uniqueEmail,
  type Role,
} from '../helpers/members';
import { TEST_SECRETS } from '../helpers/test-env';

const CREATE_CHANNEL = gql`
  mutation CreateChannel($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } } }
`;
const UPDATE_CHANNEL = gql`
  mutation UpdateChannel($input: UpdateChannelInput!) { updateChannel(input: $input) { channel { id name } } }
`;
const CHANNELS = gql`
  query { channels(first: 100) { totalCount edges { node { id name } } } }
`;

const ROLES: Role[] = ['OWNER', 'ADMIN', 'AGENT', 'VIEWER'];

/** Who may do what. Everything not listed for a role must be FORBIDDEN. */
const MAY: Record<string, Role[]> = {
  createApiKey: ['OWNER', 'ADMIN'],
  revokeApiKey: ['OWNER', 'ADMIN'],
  apiKeys: ['OWNER', 'ADMIN'],
  createChannel: ['OWNER', 'ADMIN'],
  updateChannel: ['OWNER', 'ADMIN'],
  channels: ['OWNER', 'ADMIN', 'AGENT', 'VIEWER'],
  inviteUser: ['OWNER', 'ADMIN'],
  users: ['OWNER', 'ADMIN', 'AGENT', 'VIEWER'],
};

describe('roles', () => {
  let app: TestApp;
  let org: TestOrganization;
  const keys = {} as Record<Role, string>;

  const owner = () => app.client(org.ownerKey);

  /** Every row a member could have touched, read with the OWNER key. */
  async function organizationState() {
    const [apiKeys, channels, users] = await Promise.all([
      owner().request<any>(API_KEYS, { first: 100 }),
      owner().request<any>(CHANNELS),
      owner().request<any>(USERS, { first: 100 }),
    ]);
    return { apiKeys: apiKeys.apiKeys, channels: channels.channels, users: users.users };
  }

  /** Runs one operation as `credential`; targets it needs are made with the OWNER key first. */
  const operations: Record<string, (credential: string) => Promise<() => Promise<unknown>>> = {
    createApiKey: async (credential) => () => app.client(credential).request(CREATE_API_KEY, { input: { name: 'made', role: 'VIEWER' } }),
    revokeApiKey: async (credential) => {
      const victim = await createApiKey(app, org.ownerKey, 'VIEWER', { name: 'victim' });
      return () => app.client(credential).request(REVOKE_API_KEY, { input: { id: victim.id } });
    },
    apiKeys: async (credential) => () => app.client(credential).request(API_KEYS),
    createChannel: async (credential) => () => app.client(credential).request(CREATE_CHANNEL, { input: channelInput() }),
    updateChannel: async (credential) => {
      const created = await owner().request<any>(CREATE_CHANNEL, { input: channelInput({ name: 'before' }) });
      return () => app.client(credential).request(UPDATE_CHANNEL, { input: { id: created.createChannel.channel.id, name: 'after' } });
    },
    channels: async (credential) => () => app.client(credential).request(CHANNELS),
    inviteUser: async (credential) => () =>
      app.client(credential).request(INVITE_USER, { input: { email: uniqueEmail('invitee'), name: 'Invitee', role: 'VIEWER' } }),
    users: async (credential) => () => app.client(credential).request(USERS),
  };

  beforeAll(async () => {
    app = await startTestApp();
    org = await createOrganization(app);
    for (const role of ROLES) keys[role] = (await createApiKey(app, org.ownerKey, role)).secret;
  });
  afterAll(() => app?.stop());

  describe.each(ROLES)('as %s', (role) => {
    it.each(Object.keys(MAY))('%s', async (operation) => {
      const run = await operations[operation]!(keys[role]);
      if (MAY[operation]!.includes(role)) {
        await expect(run()).resolves.toBeDefined();
        return;
      }
      const before = await organizationState();
      expect(await errorCodes(run())).toEqual(['FORBIDDEN']);
      expect(await organizationState()).toEqual(before);
    });
  });

  describe('nobody grants more than they have', () => {
    let admin: ReturnType<TestApp['client']>;
    beforeAll(() => {
      admin = app.client(keys.ADMIN);
    });

    async function expectForbiddenAndNothingChanged(attempt: () => Promise<unknown>) {
      const before = await organizationState();
      expect(await errorCodes(attempt())).toEqual(['FORBIDDEN']);
      expect(await organizationState()).toEqual(before);
    }

    it('lets an ADMIN create keys up to ADMIN but not an OWNER key', async () => {
      const created = await admin.request<any>(CREATE_API_KEY, { input: { name: 'peer', role: 'ADMIN' } });
      expect(created.createApiKey.apiKey.role).toBe('ADMIN');
      await expectForbiddenAndNothingChanged(() => admin.request(CREATE_API_KEY, { input: { name: 'escalate', role: 'OWNER' } }));
    });

    it('refuses an ADMIN inviting an OWNER', async () => {
      await expectForbiddenAndNothingChanged(() =>
        admin.request(INVITE_USER, { input: { email: uniqueEmail('boss'), name: 'Boss', role: 'OWNER' } }),
      );
    });

    it('refuses an ADMIN promoting anyone, themselves included, to OWNER', async () => {
      const adminMember = await addMember(app, org.ownerKey, 'ADMIN');
      const agent = await addMember(app, org.ownerKey, 'AGENT');
      await expectForbiddenAndNothingChanged(() => admin.request(UPDATE_USER_ROLE, { input: { id: agent.id, role: 'OWNER' } }));
      await expectForbiddenAndNothingChanged(() =>
        app.client(adminMember.token).request(UPDATE_USER_ROLE, { input: { id: adminMember.id, role: 'OWNER' } }),
      );
    });

    it('refuses an ADMIN demoting or deactivating an OWNER member', async () => {
      const ownerMember = await addMember(app, org.ownerKey, 'OWNER');
      await addMember(app, org.ownerKey, 'OWNER'); // so the last-owner rule is not what refuses
      await expectForbiddenAndNothingChanged(() => admin.request(UPDATE_USER_ROLE, { input: { id: ownerMember.id, role: 'VIEWER' } }));
      await expectForbiddenAndNothingChanged(() => admin.request(DEACTIVATE_USER, { input: { id: ownerMember.id } }));
      expect((await app.client(ownerMember.token).request<any>(VIEWER)).viewer.role).toBe('OWNER');
    });

    it('refuses an ADMIN revoking an OWNER key', async () => {
      const ownerKeyId = (await owner().request<any>(VIEWER)).viewer.apiKey.id;
      await expectForbiddenAndNothingChanged(() => admin.request(REVOKE_API_KEY, { input: { id: ownerKeyId } }));
      expect((await owner().request<any>(VIEWER)).viewer.role).toBe('OWNER');
    });
  });

  it('refuses the operator token on organization operations', async () => {
    const error = await firstError(app.client(TEST_SECRETS.ADMIN_TOKEN).request(CHANNELS));
    expect(error.extensions.code).toBe('FORBIDDEN');
  });
});
