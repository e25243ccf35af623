import { randomUUID } from 'node:crypto';
import { gql } from 'graphql-request';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { channelInput, createOrganization, firstError, type TestOrganization } from '../helpers/fixtures';
import {
  API_KEYS,
  CREATE_API_KEY,
  DEACTIVATE_USER,
  REVOKE_API_KEY,
  UPDATE_USER_ROLE,
  USERS,
  VIEWER,
  addMember,
  createApiKey,
  type TestMember,
} from '../helpers/members';

const CREATE_CHANNEL = gql`
  mutation CreateChannel($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } } }
`;
const UPDATE_CHANNEL = gql`
  mutation UpdateChannel($input: UpdateChannelInput!) { updateChannel(input: $input) { channel { id name } } }
`;
const CHANNEL = gql`
  query Channel($id: ID!) { channel(id: $id) { id name wabaId displayPhoneNumber throughputPerSecond } }
`;
const CHANNELS = gql`
  query { channels(first: 100) { totalCount edges { node { id } } } }
`;

const ids = (connection: { edges: { node: { id: string } }[] }) => connection.edges.map((edge) => edge.node.id);

describe('tenant isolation', () => {
  let app: TestApp;
  let orgA: TestOrganization;
  let orgB: TestOrganization;
  /** Organization A's rows, which B must never reach. */
  const a = {} as { channelId: string; key: { id: string; secret: string }; member: TestMember };
  let bChannelId: string;

  const asA = () => app.client(orgA.ownerKey);
  const asB = () => app.client(orgB.ownerKey);

  /** Everything about A's rows that B's attempts could have changed, read by A. */
  async function stateOfA() {
    const [channel, keys, users, memberViewer, keyViewer] = await Promise.all([
      asA().request<any>(CHANNEL, { id: a.channelId }),
      asA().request<any>(API_KEYS, { first: 100 }),
      asA().request<any>(USERS, { first: 100 }),
      app.client(a.member.token).request<any>(VIEWER),
      app.client(a.key.secret).request<any>(VIEWER),
    ]);
    return { channel, keys, users, memberRole: memberViewer.viewer.role, keyRole: keyViewer.viewer.role };
  }

  beforeAll(async () => {
    app = await startTestApp();
    orgA = await createOrganization(app, 'A');
    orgB = await createOrganization(app, 'B');
    a.channelId = (await asA().request<any>(CREATE_CHANNEL, { input: channelInput({ name: 'A channel' }) })).createChannel.channel.id;
    a.key = await createApiKey(app, orgA.ownerKey, 'AGENT');
    a.member = await addMember(app, orgA.ownerKey, 'AGENT');
    // B has rows of its own, so "B sees nothing of A" is not "B sees nothing at all".
    bChannelId = (await asB().request<any>(CREATE_CHANNEL, { input: channelInput({ name: 'B channel' }) })).createChannel.channel.id;
    await createApiKey(app, orgB.ownerKey, 'AGENT');
    await addMember(app, orgB.ownerKey, 'AGENT');
  });
  afterAll(() => app?.stop());

  it("answers B asking for A's channel exactly as for an id that does not exist", async () => {
    const [foreign, random, malformed] = await Promise.all(
      [a.channelId, randomUUID(), 'abc'].map((id) => firstError(asB().request(CHANNEL, { id }))),
    );
    expect(foreign.extensions.code).toBe('NOT_FOUND');
    expect(foreign).toEqual(random);
    expect(foreign).toEqual(malformed);
  });

  describe("B changing A's rows", () => {
    /** `target` is read when the test runs, after beforeAll has made A's rows. */
    const attempts = [
      { name: 'updateChannel', document: UPDATE_CHANNEL, input: (id: string) => ({ id, name: 'hijacked', throughputPerSecond: 1 }), target: () => a.channelId },
      { name: 'revokeApiKey', document: REVOKE_API_KEY, input: (id: string) => ({ id }), target: () => a.key.id },
      { name: 'updateUserRole', document: UPDATE_USER_ROLE, input: (id: string) => ({ id, role: 'VIEWER' }), target: () => a.member.id },
      { name: 'deactivateUser', document: DEACTIVATE_USER, input: (id: string) => ({ id }), target: () => a.member.id },
    ];

    it.each(attempts)("$name with A's id is NOT_FOUND, like a random id, and changes nothing", async ({ document, input, target }) => {
      const before = await stateOfA();

      const foreign = await firstError(asB().request(document, { input: input(target()) }));
      const random = await firstError(asB().request(document, { input: input(randomUUID()) }));

      expect(foreign.extensions.code).toBe('NOT_FOUND');
      expect(foreign).toEqual(random);
      expect(await stateOfA()).toEqual(before);
    });
  });

  it("never lists A's rows to B", async () => {
    const [channels, keys, users] = await Promise.all([
      asB().request<any>(CHANNELS),
      asB().request<any>(API_KEYS, { first: 100 }),
      asB().request<any>(USERS, { first: 100 }),
    ]);
    const [aChannels, aKeys, aUsers] = await Promise.all([
      asA().request<any>(CHANNELS),
      asA().request<any>(API_KEYS, { first: 100 }),
      asA().request<any>(USERS, { first: 100 }),
    ]);

    for (const [mine, theirs] of [
      [channels.channels, aChannels.channels],
      [keys.apiKeys, aKeys.apiKeys],
      [users.users, aUsers.users],
    ]) {
      expect(ids(mine).length).toBeGreaterThan(0);
      expect(mine.totalCount).toBe(ids(mine).length);
      for (const id of ids(theirs)) expect(ids(mine)).not.toContain(id);
    }
  });

  it("refuses B a key acting for A's member, naming userId", async () => {
    const keysBefore = (await asB().request<any>(API_KEYS, { first: 100 })).apiKeys;

    const error = await firstError(asB().request(CREATE_API_KEY, { input: { name: 'spy', role: 'AGENT', userId: a.member.id } }));
    expect(error.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'userId' });
    expect((await asB().request<any>(API_KEYS, { first: 100 })).apiKeys).toEqual(keysBefore);
  });

  it("keeps B's channel from A's member session and A's keys alike", async () => {
    for (const credential of [a.member.token, a.key.secret]) {
      const error = await firstError(app.client(credential).request(CHANNEL, { id: bChannelId }));
      expect(error.extensions.code).toBe('NOT_FOUND');
      expect((await app.client(credential).request<any>(VIEWER)).viewer.organization.id).toBe(orgA.id);
    }
  });
});
