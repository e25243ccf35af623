import { startTestApp, type TestApp } from '../helpers/test-app';
import { createOrganization, errorCodes, firstError, type TestOrganization } from '../helpers/fixtures';
import {
  ACCEPT_INVITE,
  DEACTIVATE_USER,
  INVITE_USER,
  LOGIN,
  LOGOUT,
  REFRESH_TOKEN,
  UPDATE_USER_ROLE,
  USERS,
  VIEWER,
  addMember,
  createApiKey,
  uniqueEmail,
} from '../helpers/members';

const CREATE_CHANNEL_PROBE = `mutation { createChannel(input: { phoneNumberId: "x", wabaId: "1", displayPhoneNumber: "+1 555", accessToken: "t" }) { channel { id } } }`;

describe('members and sessions', () => {
  let app: TestApp;
  let org: TestOrganization;

  /** The error a request with this credential gets before any GraphQL runs, or null when accepted. */
  async function refusal(credential: string): Promise<{ status: number; code: string } | null> {
    const response = await app.post({ query: '{ viewer { role } }' }, { authorization: `Bearer ${credential}` });
    if (response.status === 200 && response.body.data?.viewer) return null;
    return { status: response.status, code: response.body.errors?.[0]?.extensions?.code };
  }

  const login = (email: string, password: string) => app.client().request<any>(LOGIN, { input: { email, password } });

  beforeAll(async () => {
    app = await startTestApp();
    org = await createOrganization(app);
  });
  afterAll(() => app?.stop());

  describe('the life of a session', () => {
    const email = uniqueEmail('ada');
    const password = 'correct horse battery';
    let inviteToken: string;

    it('lets an ADMIN invite a member who is not yet activated', async () => {
      const admin = await createApiKey(app, org.ownerKey, 'ADMIN');
      const result = await app.client(admin.secret).request<any>(INVITE_USER, { input: { email, name: 'Ada', role: 'AGENT' } });
      expect(result.inviteUser.user).toMatchObject({ email, role: 'AGENT', activated: false });
      expect(result.inviteUser.inviteToken).toEqual(expect.any(String));
      inviteToken = result.inviteUser.inviteToken;
    });

    it('refuses a password shorter than 10 characters and names the field', async () => {
      const error = await firstError(app.client().request(ACCEPT_INVITE, { input: { token: inviteToken, password: 'short' } }));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'password' });
    });

    it('activates the member and signs them in on acceptInvite', async () => {
      const result = await app.client().request<any>(ACCEPT_INVITE, { input: { token: inviteToken, password } });
      expect(result.acceptInvite.user).toMatchObject({ email, role: 'AGENT', activated: true });
      const viewer = await app.client(result.acceptInvite.token).request<any>(VIEWER);
      expect(viewer.viewer).toMatchObject({ role: 'AGENT', user: { email }, apiKey: null, organization: { id: org.id } });
    });

    it('refuses an invite token a second time, or a bogus one', async () => {
      for (const token of [inviteToken, 'not-an-invite-token']) {
        const error = await firstError(app.client().request(ACCEPT_INVITE, { input: { token, password: 'another password' } }));
        expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'token' });
      }
      // The reuse attempt did not change the password.
      await expect(login(email, password)).resolves.toBeDefined();
    });

    it('gives a wrong password and an unknown email the same UNAUTHENTICATED answer', async () => {
      const wrongPassword = await firstError(login(email, 'wrong password!'));
      const unknownEmail = await firstError(login(uniqueEmail('nobody'), password));
      expect(wrongPassword.extensions.code).toBe('UNAUTHENTICATED');
      expect(unknownEmail).toEqual(wrongPassword);
    });

    it('signs in by email and password, ignoring case and spaces in the email', async () => {
      const result = await login(`  ${email.toUpperCase()} `, password);
      const viewer = await app.client(result.login.token).request<any>(VIEWER);
      expect(viewer.viewer).toMatchObject({ role: 'AGENT', user: { email, role: 'AGENT' } });
    });

    it('rotates the refresh token: the old one is refused afterwards', async () => {
      const first = (await login(email, password)).login;
      const refreshed = (await app.client().request<any>(REFRESH_TOKEN, { input: { refreshToken: first.refreshToken } })).refreshToken;
      expect(refreshed.refreshToken).not.toBe(first.refreshToken);
      expect(await refusal(refreshed.token)).toBeNull();

      expect(await errorCodes(app.client().request(REFRESH_TOKEN, { input: { refreshToken: first.refreshToken } }))).toEqual(['UNAUTHENTICATED']);
      // The rotated one still works, once.
      await expect(app.client().request(REFRESH_TOKEN, { input: { refreshToken: refreshed.refreshToken } })).resolves.toBeDefined();
    });

    it('ends the session on logout: its access and refresh tokens are refused', async () => {
      const session = (await login(email, password)).login;
      const other = (await login(email, password)).login;

      expect((await app.client(session.token).request<any>(LOGOUT)).logout.success).toBe(true);

      expect(await refusal(session.token)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      expect(await errorCodes(app.client().request(REFRESH_TOKEN, { input: { refreshToken: session.refreshToken } }))).toEqual(['UNAUTHENTICATED']);
      // Only that session: the member's other sign-in is untouched.
      expect(await refusal(other.token)).toBeNull();
    });

    it('answers logout with an API key with success false', async () => {
      const result = await app.client(org.ownerKey).request<any>(LOGOUT);
      expect(result.logout.success).toBe(false);
      expect(await refusal(org.ownerKey)).toBeNull();
    });
  });

  it('signs a deactivated member out everywhere and blocks sign-in', async () => {
    const member = await addMember(app, org.ownerKey, 'AGENT');
    const second = (await login(member.email, member.password)).login;

    const result = await app.client(org.ownerKey).request<any>(DEACTIVATE_USER, { input: { id: member.id } });
    expect(result.deactivateUser.user.deactivatedAt).toEqual(expect.any(String));

    expect(await refusal(member.token)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    expect(await refusal(second.token)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    const loginError = await firstError(login(member.email, member.password));
    expect(loginError.extensions.code).toBe('UNAUTHENTICATED');
    expect(loginError.message).toBe((await firstError(login(member.email, 'wrong password!'))).message);
    expect(await errorCodes(app.client().request(REFRESH_TOKEN, { input: { refreshToken: member.refreshToken } }))).toEqual(['UNAUTHENTICATED']);
  });

  it('applies a role change on the next request of an existing session', async () => {
    const member = await addMember(app, org.ownerKey, 'AGENT');
    const client = app.client(member.token);
    expect(await errorCodes(client.request(CREATE_CHANNEL_PROBE))).toEqual(['FORBIDDEN']);

    await app.client(org.ownerKey).request(UPDATE_USER_ROLE, { input: { id: member.id, role: 'ADMIN' } });
    expect((await client.request<any>(VIEWER)).viewer.role).toBe('ADMIN');
    // Now allowed past the role check: the validation error proves the resolver was reached.
    expect(await errorCodes(client.request(CREATE_CHANNEL_PROBE))).toEqual(['BAD_USER_INPUT']);

    await app.client(org.ownerKey).request(UPDATE_USER_ROLE, { input: { id: member.id, role: 'VIEWER' } });
    expect((await client.request<any>(VIEWER)).viewer.role).toBe('VIEWER');
    expect(await errorCodes(client.request(CREATE_CHANNEL_PROBE))).toEqual(['FORBIDDEN']);
  });

  it('keeps at least one OWNER', async () => {
    const own = await createOrganization(app, 'Owners');
    const first = await addMember(app, own.ownerKey, 'OWNER');
    const owner = app.client(own.ownerKey);

    const lastOwner = await firstError(owner.request(UPDATE_USER_ROLE, { input: { id: first.id, role: 'ADMIN' } }));
    expect(lastOwner.extensions).toMatchObject({ code: 'CONFLICT', field: 'role' });
    expect((await app.client(first.token).request<any>(VIEWER)).viewer.role).toBe('OWNER');

    const second = await addMember(app, own.ownerKey, 'OWNER');
    await owner.request(UPDATE_USER_ROLE, { input: { id: first.id, role: 'ADMIN' } });
    expect((await app.client(first.token).request<any>(VIEWER)).viewer.role).toBe('ADMIN');

    const stillLast = await firstError(owner.request(UPDATE_USER_ROLE, { input: { id: second.id, role: 'VIEWER' } }));
    expect(stillLast.extensions).toMatchObject({ code: 'CONFLICT', field: 'role' });
  });

  it('refuses a second member with the same email, in any case and in any organization', async () => {
    const email = uniqueEmail('dup');
    const owner = app.client(org.ownerKey);
    await owner.request(INVITE_USER, { input: { email, name: 'First', role: 'VIEWER' } });

    const sameOrg = await firstError(owner.request(INVITE_USER, { input: { email: email.toUpperCase(), name: 'Again', role: 'VIEWER' } }));
    expect(sameOrg.extensions).toMatchObject({ code: 'CONFLICT', field: 'email' });

    const elsewhere = await createOrganization(app, 'Elsewhere');
    const otherOrg = await firstError(app.client(elsewhere.ownerKey).request(INVITE_USER, { input: { email, name: 'Again', role: 'VIEWER' } }));
    expect(otherOrg.extensions).toMatchObject({ code: 'CONFLICT', field: 'email' });
  });

  it('lets an API key created for a member act for that member', async () => {
    const member = await addMember(app, org.ownerKey, 'AGENT');
    const key = await createApiKey(app, org.ownerKey, 'AGENT', { userId: member.id });

    const viewer = await app.client(key.secret).request<any>(VIEWER);
    expect(viewer.viewer).toMatchObject({
      role: 'AGENT',
      user: { id: member.id, email: member.email },
      apiKey: { id: key.id, role: 'AGENT' },
    });
    // A key without a member acts for nobody.
    expect((await app.client(org.ownerKey).request<any>(VIEWER)).viewer.user).toBeNull();
  });

  it("never lets a member's API key outrank the member, nor outlive their deactivation", async () => {
    const member = await addMember(app, org.ownerKey, 'ADMIN');
    const key = await createApiKey(app, org.ownerKey, 'ADMIN', { userId: member.id });
    const owner = app.client(org.ownerKey);

    await owner.request(UPDATE_USER_ROLE, { input: { id: member.id, role: 'VIEWER' } });
    expect((await app.client(key.secret).request<any>(VIEWER)).viewer.role).toBe('VIEWER');

    await owner.request(DEACTIVATE_USER, { input: { id: member.id } });
    const response = await app.post({ query: '{ viewer { role } }' }, { authorization: `Bearer ${key.secret}` });
    expect(response.status).toBe(401);
    expect(response.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('refuses to deactivate the last active owner, even with an OWNER key that acts for nobody', async () => {
    const other = await createOrganization(app, 'Solo');
    const owner = await addMember(app, other.ownerKey, 'OWNER');
    const refused = await firstError(app.client(other.ownerKey).request(DEACTIVATE_USER, { input: { id: owner.id } }));
    expect(refused.extensions).toMatchObject({ code: 'CONFLICT', field: 'id' });
    const users = await app.client(other.ownerKey).request<any>(USERS);
    expect(users.users.edges.map((edge: any) => edge.node.deactivatedAt)).toEqual([null]);
  });
});
