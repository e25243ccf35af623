import { startTestApp, type TestApp } from '../helpers/test-app';
import { channelInput, createOrganization, type TestOrganization } from '../helpers/fixtures';
import { createApiKey } from '../helpers/members';

const LIMIT = 5;
const VIEWER = { query: '{ viewer { role } }' };
const CREATE_CHANNEL = 'mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } } }';

const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });

describe('per-credential rate limit', () => {
  let app: TestApp;
  /** A second api process sharing the first one's database and Redis prefix. */
  let twin: TestApp;
  let org: TestOrganization;

  /** ADMIN keys that make the keys tests spend; each may itself make only LIMIT requests a minute. */
  const makers: { secret: string; used: number }[] = [];

  /** Each test spends a fresh key's budget, so tests do not depend on each other's counts. */
  async function freshKey(role: 'ADMIN' | 'AGENT' = 'AGENT'): Promise<string> {
    const maker = makers.find((candidate) => candidate.used < LIMIT);
    if (!maker) throw new Error('All key makers have spent their budget: add one in beforeAll');
    maker.used += 1;
    return (await createApiKey(app, maker.secret, role)).secret;
  }

  /** Sends `count` requests with `credential` and returns the remaining budget each one reported. */
  async function spend(target: TestApp, credential: string | null, count: number): Promise<string[]> {
    const remaining: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const response = await target.post(credential ? VIEWER : { query: '{ __typename }' }, credential ? bearer(credential) : {});
      expect(response.status).toBe(200);
      expect(response.headers.get('x-ratelimit-limit')).toBe(String(LIMIT));
      remaining.push(response.headers.get('x-ratelimit-remaining')!);
    }
    return remaining;
  }

  async function expectLimited(target: TestApp, credential: string | null, body: object = VIEWER) {
    const response = await target.post(body, credential ? bearer(credential) : {});
    expect(response.status).toBe(429);
    expect(response.body.errors.map((e: any) => e.extensions.code)).toEqual(['RATE_LIMITED']);
    expect(response.body.data).toBeUndefined();
    expect(response.headers.get('x-ratelimit-remaining')).toBe('0');
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  }

  beforeAll(async () => {
    app = await startTestApp({ RATE_LIMIT_PER_MINUTE: String(LIMIT) });
    twin = await startTestApp({
      RATE_LIMIT_PER_MINUTE: String(LIMIT),
      REDIS_PREFIX: app.config.redis.prefix,
      DATABASE_URL: app.config.database.url,
    });
    org = await createOrganization(app);
    for (let i = 0; i < 3; i += 1) makers.push({ secret: (await createApiKey(app, org.ownerKey, 'ADMIN')).secret, used: 0 });
  });
  afterAll(async () => {
    // The twin first: the first app's stop drops the database they share.
    await twin?.stop();
    await app?.stop();
  });

  it('allows 5 requests a minute with a counting-down budget, then answers 429 with Retry-After', async () => {
    const key = await freshKey();
    expect(await spend(app, key, LIMIT)).toEqual(['4', '3', '2', '1', '0']);
    await expectLimited(app, key);
    await expectLimited(app, key);
  });

  it('does not run a refused operation', async () => {
    const admin = await freshKey('ADMIN');
    await spend(app, admin, LIMIT);
    const input = channelInput();

    await expectLimited(app, admin, { query: CREATE_CHANNEL, variables: { input } });

    const channels = await app.client(await freshKey()).request<any>('{ channels(first: 100) { edges { node { phoneNumberId } } } }');
    expect(channels.channels.edges.map((edge: any) => edge.node.phoneNumberId)).not.toContain(input.phoneNumberId);
  });

  it('counts each credential separately, even within one organization', async () => {
    const [spent, untouched] = [await freshKey(), await freshKey()];
    await spend(app, spent, LIMIT);
    await expectLimited(app, spent);

    expect(await spend(app, untouched, 1)).toEqual(['4']);
  });

  it('shares the count between api processes through Redis', async () => {
    const key = await freshKey();
    expect(await spend(app, key, 3)).toEqual(['4', '3', '2']);
    expect(await spend(twin, key, 2)).toEqual(['1', '0']);
    await expectLimited(twin, key);
    await expectLimited(app, key);
  });

  it('limits anonymous callers by address', async () => {
    expect(await spend(app, null, LIMIT)).toEqual(['4', '3', '2', '1', '0']);
    await expectLimited(app, null, { query: '{ __typename }' });
    // Authenticated callers from the same address keep their own budget.
    expect(await spend(app, await freshKey(), 1)).toEqual(['4']);
  });
});
