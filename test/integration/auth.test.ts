import { SignJWT, UnsecuredJWT, decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { createOrganization, type TestOrganization } from '../helpers/fixtures';
import { DEACTIVATE_USER, LOGOUT, REVOKE_API_KEY, addMember, createApiKey, type TestMember } from '../helpers/members';
import { TEST_SECRETS } from '../helpers/test-env';
import { Authenticator, type AuthenticationOutcome } from '../../src/auth/authenticator';

const VIEWER = { query: '{ viewer { role user { id } } }' };
const CHANNELS = { query: '{ channels { totalCount } }' };

/** The claims and issuer/audience src/auth/jwt.ts signs and checks. */
async function signAccessToken(
  claims: { sub: string; org: string; sid: string },
  { secret = TEST_SECRETS.JWT_SECRET as string, expiresAt = Math.floor(Date.now() / 1000) + 300 } = {},
) {
  return new SignJWT({ org: claims.org, sid: claims.sid })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer('wa-backend')
    .setAudience('wa-backend-api')
    .setIssuedAt(expiresAt - 600)
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(secret));
}

const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });

/** Replaces the character at `index` with a different base64url character. */
function flipCharacter(text: string, index: number): string {
  const replacement = text[index] === 'A' ? 'B' : 'A';
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

describe('authentication', () => {
  let app: TestApp;
  let org: TestOrganization;
  let member: TestMember;
  /** The claims of the member's real session, for forging tokens that differ in one respect only. */
  let claims: { sub: string; org: string; sid: string };

  /** A refused credential is an HTTP 401 with a Bearer challenge, before any GraphQL runs. */
  async function expectRefused(headers: Record<string, string>, message?: RegExp) {
    const response = await app.post(VIEWER, headers);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(response.body.data).toBeUndefined();
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    if (message) expect(response.body.errors[0].message).toMatch(message);
  }

  beforeAll(async () => {
    app = await startTestApp();
    org = await createOrganization(app);
    member = await addMember(app, org.ownerKey, 'AGENT');
    const payload = decodeJwt(member.token);
    claims = { sub: payload.sub!, org: payload.org as string, sid: payload.sid as string };
  });
  afterAll(() => app?.stop());

  describe('without a credential', () => {
    it('answers public fields anonymously', async () => {
      const response = await app.post({ query: '{ __typename }' });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ data: { __typename: 'Query' } });
    });

    it('refuses protected queries with UNAUTHENTICATED', async () => {
      const response = await app.post(CHANNELS);
      expect(response.body.data).toBeNull();
      expect(response.body.errors.map((e: any) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
    });
  });

  describe('API keys', () => {
    it('accepts a valid key', async () => {
      const response = await app.post(VIEWER, bearer(org.ownerKey));
      expect(response.status).toBe(200);
      expect(response.body.data.viewer.role).toBe('OWNER');
    });

    it('refuses an unknown key that is well formed', async () => {
      const [, prefix] = org.ownerKey.split('_');
      await expectRefused(bearer(`wak_${prefix}_${'x'.repeat(43)}`));
      await expectRefused(bearer(`wak_${'0'.repeat(12)}_${'x'.repeat(43)}`));
    });

    it('refuses a credential that is neither a key nor a token', async () => {
      await expectRefused(bearer('not-a-credential'));
    });

    it('refuses a revoked key at once', async () => {
      const key = await createApiKey(app, org.ownerKey, 'AGENT');
      expect((await app.post(VIEWER, bearer(key.secret))).status).toBe(200);

      await app.client(org.ownerKey).request(REVOKE_API_KEY, { input: { id: key.id } });

      await expectRefused(bearer(key.secret), /revoked/);
    });
  });

  describe('malformed Authorization headers', () => {
    it.each([
      ['another scheme', `Basic ${Buffer.from('admin:x').toString('base64')}`],
      ['a bare key without a scheme', 'wak_abc'],
      ['a scheme without a credential', 'Bearer'],
      ['two credentials', 'Bearer one two'],
    ])('refuses %s', async (_label, authorization) => {
      await expectRefused({ authorization }, /Bearer/);
    });
  });

  describe('access tokens (JWT)', () => {
    it('accepts a token signed the way the app signs them', async () => {
      // Proves the forged tokens below are refused for the one thing each gets wrong.
      const response = await app.post(VIEWER, bearer(await signAccessToken(claims)));
      expect(response.status).toBe(200);
      expect(response.body.data.viewer).toEqual({ role: 'AGENT', user: { id: member.id } });
    });

    it('refuses an expired token', async () => {
      const expired = await signAccessToken(claims, { expiresAt: Math.floor(Date.now() / 1000) - 60 });
      await expectRefused(bearer(expired), /expired/);
    });

    it('refuses a token with a tampered signature', async () => {
      const [header, payload, signature] = member.token.split('.');
      // A middle character: the last one of a base64url signature carries padding bits.
      await expectRefused(bearer([header, payload, flipCharacter(signature!, 10)].join('.')));
    });

    it('refuses a token with a tampered payload', async () => {
      const [header, payload, signature] = member.token.split('.');
      const claimsJson = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
      const otherOrg = await createOrganization(app, 'Other');
      const forgedPayload = Buffer.from(JSON.stringify({ ...claimsJson, org: otherOrg.id })).toString('base64url');
      await expectRefused(bearer([header, forgedPayload, signature].join('.')));
    });

    it('refuses a token signed with another secret', async () => {
      await expectRefused(bearer(await signAccessToken(claims, { secret: 'another-secret-that-is-long-enough-0123456789' })));
    });

    it('refuses an unsigned token', async () => {
      const unsigned = new UnsecuredJWT({ org: claims.org, sid: claims.sid })
        .setSubject(claims.sub)
        .setIssuer('wa-backend')
        .setAudience('wa-backend-api')
        .setExpirationTime('5m')
        .encode();
      await expectRefused(bearer(unsigned));
    });

    it('refuses a token whose session was ended by logout', async () => {
      const other = await addMember(app, org.ownerKey, 'VIEWER');
      expect((await app.post(VIEWER, bearer(other.token))).status).toBe(200);

      const result = await app.client(other.token).request<any>(LOGOUT);
      expect(result.logout.success).toBe(true);

      await expectRefused(bearer(other.token), /session has ended/);
    });
  });

  describe('many credentials at once (how live sockets are re-checked)', () => {
    it('gives each the outcome it gets alone, in order', async () => {
      const revoked = await createApiKey(app, org.ownerKey, 'AGENT');
      await app.client(org.ownerKey).request(REVOKE_API_KEY, { input: { id: revoked.id } });
      const loggedOut = await addMember(app, org.ownerKey, 'VIEWER');
      await app.client(loggedOut.token).request(LOGOUT);
      const viewerKey = await createApiKey(app, org.ownerKey, 'VIEWER');
      // A key acting for a member never does more than the member: an ADMIN key of an AGENT acts as AGENT.
      const agent = await addMember(app, org.ownerKey, 'AGENT');
      const cappedKey = await createApiKey(app, org.ownerKey, 'ADMIN', { userId: agent.id });
      const leaver = await addMember(app, org.ownerKey, 'AGENT');
      const leaversKey = await createApiKey(app, org.ownerKey, 'AGENT', { userId: leaver.id });
      await app.client(org.ownerKey).request(DEACTIVATE_USER, { input: { id: leaver.id } });
      const [, prefix] = org.ownerKey.split('_');
      const authorizations = [
        `Bearer ${org.ownerKey}`,
        `Bearer ${revoked.secret}`,
        `Bearer wak_${prefix}_${'x'.repeat(43)}`,
        'Basic abc',
        '',
        `Bearer ${TEST_SECRETS.ADMIN_TOKEN}`,
        `Bearer ${member.token}`,
        `Bearer ${loggedOut.token}`,
        `Bearer ${await signAccessToken(claims, { expiresAt: Math.floor(Date.now() / 1000) - 10 })}`,
        `Bearer ${viewerKey.secret}`,
        `Bearer ${org.ownerKey}`,
        `Bearer ${cappedKey.secret}`,
        `Bearer ${leaversKey.secret}`,
      ];
      const authenticator = new Authenticator(app.orm, app.deps.jwt, TEST_SECRETS.ADMIN_TOKEN);
      const describe = (outcome: AuthenticationOutcome) =>
        'error' in outcome ? { refused: (outcome.error as Error).message } : { viewer: outcome.viewer };
      const alone = await Promise.all(
        authorizations.map(async (authorization) => {
          try {
            return { viewer: await authenticator.authenticate(authorization) };
          } catch (error) {
            return { refused: (error as Error).message };
          }
        }),
      );
      await app.orm.em.fork().getConnection().execute('update api_key set last_used_at = null where id = ?', [viewerKey.id]);
      const together = (await authenticator.authenticateMany(authorizations)).map(describe);

      expect(together).toEqual(alone);
      expect(together.map((outcome) => ('viewer' in outcome ? (outcome.viewer?.kind ?? 'anonymous') : 'refused'))).toEqual([
        'member', 'refused', 'refused', 'refused', 'anonymous', 'operator', 'member', 'refused', 'refused', 'member', 'member', 'member', 'refused',
      ]);
      expect(together[9]).toMatchObject({ viewer: { role: 'VIEWER', apiKeyId: viewerKey.id } });
      expect(together[11]).toMatchObject({ viewer: { role: 'AGENT', userId: agent.id, apiKeyId: cappedKey.id } });
      expect(together[12]).toEqual({ refused: expect.stringMatching(/deactivated/) });
      // Use is recorded by the batch too, as for a request.
      const [used] = (await app.orm.em.fork().getConnection().execute('select last_used_at from api_key where id = ?', [viewerKey.id])) as { last_used_at: Date | null }[];
      expect(Date.now() - new Date(used!.last_used_at!).getTime()).toBeLessThan(60_000);
    });
  });
});
