import { startTestApp, type TestApp } from '../helpers/test-app';
import { channelInput, createOrganization, type TestOrganization } from '../helpers/fixtures';
import { TEST_SECRETS } from '../helpers/test-env';

type RawResponse = Awaited<ReturnType<TestApp['post']>>;

const STACK_LINE = /^\s*at \S+/m;
const SQL_TEXT = /\b(select|insert|update|delete)\b[^"]*\b(from|into|set)\b|syntax error at or near|violates .* constraint|\bpg_/i;

/** Whatever was sent: a client error at worst, and nothing internal in the body. */
function expectSafe(response: RawResponse) {
  expect(response.status).toBeLessThan(500);
  const text = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
  expect(text).not.toMatch(STACK_LINE);
  expect(text).not.toMatch(/stacktrace/i);
  expect(text).not.toMatch(SQL_TEXT);
}

const codesOf = (response: RawResponse): string[] =>
  (response.body?.errors ?? []).map((error: { extensions?: { code?: string } }) => error.extensions?.code);

const CREATE_CHANNEL = `mutation Create($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } } }`;

describe('hostile input', () => {
  let app: TestApp;
  let org: TestOrganization;
  let auth: Record<string, string>;

  const count = async (table: 'organization' | 'channel') => {
    const [row] = await app.orm.em.getConnection().execute<{ n: number }[]>(`select count(*)::int as n from "${table}"`);
    return row!.n;
  };

  beforeAll(async () => {
    app = await startTestApp();
    org = await createOrganization(app);
    auth = { authorization: `Bearer ${org.ownerKey}` };
  });
  afterAll(() => app?.stop());

  describe('bodies', () => {
    it('refuses a body over the limit with 413 and stores nothing', async () => {
      const before = await count('organization');
      const name = 'x'.repeat(app.config.http.bodyLimitBytes + 1);
      const response = await app.post(
        { query: 'mutation ($input: CreateOrganizationInput!) { createOrganization(input: $input) { secret } }', variables: { input: { name } } },
        { authorization: `Bearer ${TEST_SECRETS.ADMIN_TOKEN}` },
      );
      expect(response.status).toBe(413);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.body.errors[0]).toMatchObject({ message: 'Request body is too large', extensions: { code: 'PAYLOAD_TOO_LARGE' } });
      expectSafe(response);
      expect(await count('organization')).toBe(before);
    });

    it('answers malformed JSON with 400', async () => {
      const response = await app.post('{"query": "{ viewer { role } }",', auth);
      expect(response.status).toBe(400);
      expect(response.body.errors[0]).toMatchObject({ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } });
      expectSafe(response);
    });

    it('refuses batched (array) bodies with 400', async () => {
      const response = await app.post([{ query: '{ viewer { role } }' }, { query: '{ viewer { role } }' }], auth);
      expect(response.status).toBe(400);
      expectSafe(response);
    });

    it.each([
      ['a bare string', '"{ viewer { role } }"'],
      ['a number', '42'],
      ['null', 'null'],
      ['an object without a query', '{"variables": {}}'],
    ])('refuses %s as the body with 400', async (_what, body) => {
      const response = await app.post(body, auth);
      expect(response.status).toBe(400);
      expectSafe(response);
    });

    it.each([
      ['text/plain', '{"query":"{ viewer { role } }"}'],
      ['application/x-www-form-urlencoded', 'query=%7B%20viewer%20%7B%20role%20%7D%20%7D'],
      ['application/xml', '<query>{ viewer { role } }</query>'],
      ['application/graphql', '{ viewer { role } }'],
    ])('refuses a %s body with a 4xx', async (contentType, body) => {
      const response = await app.post(body, { ...auth, 'content-type': contentType });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expectSafe(response);
      expect(response.body?.data).toBeUndefined();
    });
  });

  describe('documents', () => {
    /** A document exactly `depth` fields deep; __Type.ofType nests without end. */
    const nestedQuery = (depth: number) => `{ __schema { queryType { ${'ofType { '.repeat(depth - 3)}name${' }'.repeat(depth - 3)} } } }`;

    it('refuses a query one level deeper than MAX_QUERY_DEPTH, naming the limit', async () => {
      const maxDepth = app.config.graphql.maxDepth;
      const response = await app.post({ query: nestedQuery(maxDepth + 1) }, auth);
      expect(response.status).toBe(400);
      expect(codesOf(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(response.body.errors[0].message).toContain(`more than ${maxDepth} levels`);
      expect(response.body.data).toBeUndefined();
      expectSafe(response);
    });

    it('accepts a query exactly MAX_QUERY_DEPTH deep', async () => {
      const response = await app.post({ query: nestedQuery(app.config.graphql.maxDepth) }, auth);
      expect(response.status).toBe(200);
      expect(response.body.errors).toBeUndefined();
    });

    it('refuses an expensive query with a BAD_USER_INPUT cost error before running it', async () => {
      const page = (alias: number) => `c${alias}: channels(first: 100) { edges { node { id phoneNumberId displayPhoneNumber } } }`;
      const query = `{ ${Array.from({ length: 20 }, (_, index) => page(index)).join(' ')} }`;
      const response = await app.post({ query }, auth);
      expect(response.status).toBe(400);
      expect(response.body.errors[0]).toMatchObject({
        message: expect.stringContaining('too expensive'),
        extensions: { code: 'BAD_USER_INPUT', maxCost: app.config.graphql.maxComplexity },
      });
      expect(response.body.errors[0].extensions.cost).toBeGreaterThan(app.config.graphql.maxComplexity);
      expect(response.body.data).toBeUndefined();
      expectSafe(response);
    });

    it('refuses an unknown input field (inline) as a validation error and creates nothing', async () => {
      const { phoneNumberId, wabaId, accessToken } = channelInput();
      const query = `mutation { createChannel(input: { phoneNumberId: "${phoneNumberId}", wabaId: "${wabaId}",
        displayPhoneNumber: "+1 555 010 0000", accessToken: "${accessToken}", isAdmin: true }) { channel { id } } }`;
      const response = await app.post({ query }, auth);
      expect(response.status).toBe(400);
      expect(codesOf(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(response.body.errors[0].message).toContain('isAdmin');
      expectSafe(response);
      expect(await count('channel')).toBe(0);
    });

    it('refuses an unknown input field (in variables) and creates nothing', async () => {
      const response = await app.post({ query: CREATE_CHANNEL, variables: { input: { ...channelInput(), organizationId: org.id } } }, auth);
      expect(response.status).toBe(400);
      expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.body.errors[0].message).toContain('organizationId');
      expectSafe(response);
      expect(await count('channel')).toBe(0);
    });

    it.each([
      ['a string for an Int', 'query ($first: Int) { channels(first: $first) { totalCount } }', { first: 'ten' }],
      ['a float for an Int', 'query ($first: Int) { channels(first: $first) { totalCount } }', { first: 1.5 }],
      ['an object for an ID', 'query ($id: ID!) { channel(id: $id) { id } }', { id: { $ne: null } }],
      ['a missing required variable', 'query ($id: ID!) { channel(id: $id) { id } }', {}],
      ['a list for an input object', CREATE_CHANNEL, { input: [channelInput()] }],
    ])('refuses %s with BAD_USER_INPUT', async (_what, query, variables) => {
      const response = await app.post({ query, variables }, auth);
      expect(response.status).toBe(400);
      expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
      expectSafe(response);
    });

    it('refuses variables that are not an object', async () => {
      const response = await app.post({ query: '{ viewer { role } }', variables: '{"a":1' }, auth);
      expect(response.status).toBe(400);
      expectSafe(response);
    });
  });

  describe('values', () => {
    it.each([
      ['name', { name: 'n'.repeat(100_000) }],
      ['accessToken', { accessToken: 't'.repeat(100_000) }],
      ['displayPhoneNumber', { displayPhoneNumber: '1'.repeat(100_000) }],
    ])('refuses a huge %s with BAD_USER_INPUT naming the field', async (field, overrides) => {
      const response = await app.post({ query: CREATE_CHANNEL, variables: { input: channelInput(overrides) } }, auth);
      expect(response.status).toBeLessThan(500);
      expect(response.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expectSafe(response);
      expect(await count('channel')).toBe(0);
    });

    it.each([
      ['a word', 'abc'],
      ['a tautology', "' OR 1=1 --"],
      ['a stacked statement', "1'; DROP TABLE channel; --"],
      ['a LIKE wildcard', '%'],
      ['a 10,000-character id', 'x'.repeat(10_000)],
      ['a well-formed unknown uuid', '00000000-0000-0000-0000-000000000000'],
    ])('answers NOT_FOUND for channel(id:) given %s', async (_what, id) => {
      const response = await app.post({ query: 'query ($id: ID!) { channel(id: $id) { id } }', variables: { id } }, auth);
      expect(codesOf(response)).toEqual(['NOT_FOUND']);
      expectSafe(response);
    });

    it('refuses a NUL character anywhere in the request with BAD_USER_INPUT, storing nothing', async () => {
      for (const variables of [{ id: 'a\u0000b' }, { input: { name: 'Acme\u0000Ltd' } }]) {
        const query = 'id' in variables ? 'query ($id: ID!) { channel(id: $id) { id } }' : 'mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } } }';
        const response = await app.post({ query, variables }, auth);
        expect(response.status).toBe(400);
        expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
        expect(response.body.errors[0].message).toContain('NUL');
        expectSafe(response);
      }
      expect(await count('channel')).toBe(0);
    });

    it('answers NOT_FOUND for an SQL-ish id written inline in the document', async () => {
      const response = await app.post({ query: `{ channel(id: "abc' OR '1'='1") { id } }` }, auth);
      expect(codesOf(response)).toEqual(['NOT_FOUND']);
      expectSafe(response);
    });

    it('refuses a forged pagination cursor with BAD_USER_INPUT naming `after`', async () => {
      const after = Buffer.from(JSON.stringify(["2020-01-01'; select pg_sleep(10); --", 'x'])).toString('base64url');
      const response = await app.post({ query: 'query ($after: String) { channels(after: $after) { totalCount } }', variables: { after } }, auth);
      expect(response.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
      expectSafe(response);
    });
  });

  describe('introspection', () => {
    const INTROSPECT = { query: '{ __schema { queryType { name } } }' };

    it('is enabled outside production', async () => {
      const response = await app.post(INTROSPECT, auth);
      expect(response.status).toBe(200);
      expect(response.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    });

    it('is disabled when NODE_ENV=production', async () => {
      const production = await startTestApp({ NODE_ENV: 'production' });
      try {
        const response = await production.post(INTROSPECT);
        expect(response.status).toBe(400);
        expect(codesOf(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
        expect(response.body.errors[0].message).toMatch(/introspection/i);
        expectSafe(response);
        // Ordinary operations still work.
        expect((await production.post({ query: '{ __typename }' })).body).toEqual({ data: { __typename: 'Query' } });
      } finally {
        await production.stop();
      }
    });
  });
});
