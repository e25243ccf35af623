import { gql } from 'graphql-request';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { CREATE_ORGANIZATION, createOrganization, errorCodes, firstError } from '../helpers/fixtures';
import { TEST_SECRETS } from '../helpers/test-env';

const VIEWER = gql`
  query { viewer { isOperator role organization { id name } apiKey { prefix role } } }
`;

describe('organizations and the viewer', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  it('lets the operator create an organization with a first OWNER key shown once', async () => {
    const result = await app.client(TEST_SECRETS.ADMIN_TOKEN).request<any>(CREATE_ORGANIZATION, { input: { name: ' Acme Ltd ' } });
    const { organization, apiKey, secret } = result.createOrganization;
    expect(organization.name).toBe('Acme Ltd');
    expect(apiKey.role).toBe('OWNER');
    expect(secret).toMatch(new RegExp(`^wak_${apiKey.prefix}_`));

    const viewer = await app.client(secret).request<any>(VIEWER);
    expect(viewer.viewer).toEqual({
      isOperator: false,
      role: 'OWNER',
      organization: { id: organization.id, name: 'Acme Ltd' },
      apiKey: { prefix: apiKey.prefix, role: 'OWNER' },
    });
  });

  it('refuses createOrganization to anyone but the operator', async () => {
    const org = await createOrganization(app);
    expect(await errorCodes(app.client(org.ownerKey).request(CREATE_ORGANIZATION, { input: { name: 'X' } }))).toEqual(['FORBIDDEN']);
    expect(await errorCodes(app.client().request(CREATE_ORGANIZATION, { input: { name: 'X' } }))).toEqual(['UNAUTHENTICATED']);
  });

  it('validates the organization input and names the field', async () => {
    const admin = app.client(TEST_SECRETS.ADMIN_TOKEN);
    const empty = await firstError(admin.request(CREATE_ORGANIZATION, { input: { name: '' } }));
    expect(empty.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    const zone = await firstError(admin.request(CREATE_ORGANIZATION, { input: { name: 'Z', timezone: 'Mars/Olympus' } }));
    expect(zone.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'timezone' });
  });

  it('tells the operator who they are', async () => {
    const viewer = await app.client(TEST_SECRETS.ADMIN_TOKEN).request<any>(VIEWER);
    expect(viewer.viewer).toMatchObject({ isOperator: true, role: null, organization: null });
  });
});
