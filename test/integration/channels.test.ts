import { randomUUID } from 'node:crypto';
import { gql } from 'graphql-request';
import { Client } from 'pg';
import { SecretBox } from '../../src/auth/secret-box';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { channelInput, createOrganization, firstError, type TestOrganization } from '../helpers/fixtures';
import { TEST_SECRETS } from '../helpers/test-env';

const CHANNEL_FIELDS = 'id phoneNumberId wabaId displayPhoneNumber name throughputPerSecond qualityRating messagingLimitTier createdAt';

const CREATE_CHANNEL = gql`
  mutation CreateChannel($input: CreateChannelInput!) { createChannel(input: $input) { channel { ${CHANNEL_FIELDS} } } }
`;
const UPDATE_CHANNEL = gql`
  mutation UpdateChannel($input: UpdateChannelInput!) { updateChannel(input: $input) { channel { ${CHANNEL_FIELDS} } } }
`;
const CHANNEL = gql`
  query Channel($id: ID!) { channel(id: $id) { ${CHANNEL_FIELDS} } }
`;
const CHANNELS = gql`
  query Channels($first: Int, $after: String) {
    channels(first: $first, after: $after) {
      totalCount
      edges { cursor node { id phoneNumberId } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`;

describe('channels', () => {
  let app: TestApp;
  let org: TestOrganization;
  let db: Client;
  const box = new SecretBox(Buffer.from(TEST_SECRETS.ENCRYPTION_KEY, 'hex'));

  const owner = () => app.client(org.ownerKey);
  const create = async (overrides: Record<string, unknown> = {}, credential = org.ownerKey) =>
    (await app.client(credential).request<any>(CREATE_CHANNEL, { input: channelInput(overrides) })).createChannel.channel;

  async function storedToken(channelId: string): Promise<string> {
    const result = await db.query<{ access_token_encrypted: string }>('select access_token_encrypted from channel where id = $1', [channelId]);
    return result.rows[0]!.access_token_encrypted;
  }

  beforeAll(async () => {
    // Debug level, so the check that tokens never reach the logs covers everything the app can log.
    app = await startTestApp({ LOG_LEVEL: 'debug' });
    org = await createOrganization(app);
    db = new Client({ connectionString: app.config.database.url });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  describe('registering and changing a channel', () => {
    it('creates a channel with defaults and reads it back by id and in the list', async () => {
      const input = channelInput({ name: 'Support line' });
      const created = (await owner().request<any>(CREATE_CHANNEL, { input })).createChannel.channel;
      expect(created).toMatchObject({
        phoneNumberId: input.phoneNumberId,
        wabaId: input.wabaId,
        displayPhoneNumber: input.displayPhoneNumber,
        name: 'Support line',
        throughputPerSecond: 80,
        qualityRating: 'UNKNOWN',
        messagingLimitTier: 'NOT_SET',
      });

      expect((await owner().request<any>(CHANNEL, { id: created.id })).channel).toEqual(created);
      const list = (await owner().request<any>(CHANNELS, { first: 100 })).channels;
      expect(list.edges.map((edge: any) => edge.node.id)).toContain(created.id);
    });

    it('updates only the fields given, and clears the name with null', async () => {
      const created = await create({ name: 'Before', throughputPerSecond: 200 });
      const updated = (
        await owner().request<any>(UPDATE_CHANNEL, { input: { id: created.id, displayPhoneNumber: '+44 20 7946 0000', throughputPerSecond: 500 } })
      ).updateChannel.channel;
      expect(updated).toEqual({ ...created, displayPhoneNumber: '+44 20 7946 0000', throughputPerSecond: 500 });

      const cleared = (await owner().request<any>(UPDATE_CHANNEL, { input: { id: created.id, name: null } })).updateChannel.channel;
      expect(cleared).toEqual({ ...updated, name: null });
      expect((await owner().request<any>(CHANNEL, { id: created.id })).channel).toEqual(cleared);
    });

    it('answers an unknown channel id with NOT_FOUND', async () => {
      for (const id of [randomUUID(), 'abc']) {
        expect((await firstError(owner().request(CHANNEL, { id }))).extensions.code).toBe('NOT_FOUND');
        expect((await firstError(owner().request(UPDATE_CHANNEL, { input: { id, name: 'x' } }))).extensions.code).toBe('NOT_FOUND');
      }
    });
  });

  describe('pagination', () => {
    let paged: TestOrganization;
    const createdIds: string[] = [];
    const page = (variables: { first?: number; after?: string }) => app.client(paged.ownerKey).request<any>(CHANNELS, variables);

    beforeAll(async () => {
      // Its own organization, so the total is exactly what this block created.
      paged = await createOrganization(app, 'Paged');
      for (let i = 0; i < 5; i += 1) createdIds.push((await create({}, paged.ownerKey)).id);
    });

    it('walks 5 channels in pages of 2, oldest first, each exactly once', async () => {
      const first = (await page({ first: 2 })).channels;
      expect(first.totalCount).toBe(5);
      expect(first.edges).toHaveLength(2);
      expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
      expect(first.pageInfo.startCursor).toBe(first.edges[0].cursor);
      expect(first.pageInfo.endCursor).toBe(first.edges[1].cursor);

      const second = (await page({ first: 2, after: first.pageInfo.endCursor })).channels;
      expect(second.totalCount).toBe(5);
      expect(second.edges).toHaveLength(2);
      expect(second.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });

      const third = (await page({ first: 2, after: second.pageInfo.endCursor })).channels;
      expect(third.edges).toHaveLength(1);
      expect(third.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });

      const seen = [first, second, third].flatMap((connection) => connection.edges.map((edge: any) => edge.node.id));
      expect(seen).toEqual(createdIds);
    });

    it('refuses a cursor it did not hand out, naming after', async () => {
      for (const after of ['bogus', Buffer.from('["not a date","x"]').toString('base64url')]) {
        const error = await firstError(page({ first: 2, after }));
        expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
      }
    });

    it.each([0, 101, -1])('refuses first: %d, naming first', async (first) => {
      const error = await firstError(page({ first }));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    });
  });

  describe('validation', () => {
    it.each([
      ['phoneNumberId', { phoneNumberId: '+1 555 0100' }],
      ['phoneNumberId', { phoneNumberId: '' }],
      ['wabaId', { wabaId: 'waba-1' }],
      ['displayPhoneNumber', { displayPhoneNumber: 'call me' }],
      ['throughputPerSecond', { throughputPerSecond: 0 }],
      ['throughputPerSecond', { throughputPerSecond: 5000 }],
      ['accessToken', { accessToken: '' }],
    ])('refuses a bad %s on create and names it', async (field, overrides) => {
      const before = (await owner().request<any>(CHANNELS, {})).channels.totalCount;
      const error = await firstError(owner().request(CREATE_CHANNEL, { input: channelInput(overrides) }));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect((await owner().request<any>(CHANNELS, {})).channels.totalCount).toBe(before);
    });

    it.each([
      ['throughputPerSecond', { throughputPerSecond: 0 }],
      ['accessToken', { accessToken: '' }],
      ['wabaId', { wabaId: 'x' }],
    ])('refuses a bad %s on update, names it and keeps the channel', async (field, patch) => {
      const created = await create();
      const sealedBefore = await storedToken(created.id);
      const error = await firstError(owner().request(UPDATE_CHANNEL, { input: { id: created.id, ...patch } }));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect((await owner().request<any>(CHANNEL, { id: created.id })).channel).toEqual(created);
      expect(await storedToken(created.id)).toBe(sealedBefore);
    });

    it('refuses a phone number id that is already registered, naming phoneNumberId', async () => {
      const created = await create();
      const before = (await owner().request<any>(CHANNELS, {})).channels.totalCount;
      const error = await firstError(owner().request(CREATE_CHANNEL, { input: channelInput({ phoneNumberId: created.phoneNumberId }) }));
      expect(error.extensions).toMatchObject({ code: 'CONFLICT', field: 'phoneNumberId' });
      expect((await owner().request<any>(CHANNELS, {})).channels.totalCount).toBe(before);
    });
  });

  describe('the access token', () => {
    it('is stored encrypted and decrypts with the ENCRYPTION_KEY', async () => {
      const input = channelInput();
      const created = (await owner().request<any>(CREATE_CHANNEL, { input })).createChannel.channel;

      const sealed = await storedToken(created.id);
      expect(sealed).not.toContain(input.accessToken);
      expect(sealed).toMatch(/^v1\./);
      expect(box.open(sealed)).toBe(input.accessToken);

      // Updating other fields keeps it; a new token replaces it.
      await owner().request(UPDATE_CHANNEL, { input: { id: created.id, name: 'Renamed' } });
      expect(box.open(await storedToken(created.id))).toBe(input.accessToken);
      const rotated = 'EAAG-rotated-token-0123456789';
      await owner().request(UPDATE_CHANNEL, { input: { id: created.id, accessToken: rotated } });
      const resealed = await storedToken(created.id);
      expect(resealed).not.toContain(rotated);
      expect(box.open(resealed)).toBe(rotated);
    });

    it('is not a field clients can ask for', async () => {
      const created = await create();
      const response = await app.post({ query: `{ channel(id: "${created.id}") { accessToken } }` }, { authorization: `Bearer ${org.ownerKey}` });
      expect(response.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    });

    it('never appears in a response body or a log line', async () => {
      const tokens = ['EAAG-first-secret-token-aaaa', 'EAAG-second-secret-token-bbbb', 'EAAG-third-secret-token-cccc'];
      const bodies: string[] = [];
      const call = async (query: string, variables: object) => {
        const response = await app.post({ query, variables }, { authorization: `Bearer ${org.ownerKey}` });
        bodies.push(JSON.stringify(response.body));
        return response.body;
      };

      const created = (await call(CREATE_CHANNEL, { input: channelInput({ accessToken: tokens[0] }) })).data.createChannel.channel;
      await call(CHANNEL, { id: created.id });
      await call(CHANNELS, { first: 100 });
      await call(UPDATE_CHANNEL, { input: { id: created.id, accessToken: tokens[1] } });
      // Failures too: a conflict, a validation error and a not-found, each carrying a token.
      await call(CREATE_CHANNEL, { input: channelInput({ phoneNumberId: created.phoneNumberId, accessToken: tokens[2] }) });
      await call(UPDATE_CHANNEL, { input: { id: created.id, accessToken: tokens[2], throughputPerSecond: 0 } });
      await call(UPDATE_CHANNEL, { input: { id: randomUUID(), accessToken: tokens[2] } });
      await call(CREATE_CHANNEL, { input: { ...channelInput({ accessToken: tokens[2] }), unknownField: tokens[2] } });
      const mistyped = await call(CREATE_CHANNEL, { input: channelInput({ accessToken: tokens[2], throughputPerSecond: 'fast' }) });
      // GraphQL's own coercion errors would echo the whole input; they keep where and why only.
      expect(mistyped.errors[0].message).toBe(
        'Variable "$input" got invalid value at "input.throughputPerSecond"; Int cannot represent non-integer value: "fast"',
      );

      expect(bodies).toHaveLength(9);
      expect(app.logs.length).toBeGreaterThan(0);
      const logs = app.logs.join('\n');
      for (const token of tokens) {
        for (const body of bodies) expect(body).not.toContain(token);
        expect(logs).not.toContain(token);
      }
    });
  });
});
