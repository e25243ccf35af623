import { gql } from 'graphql-request';
import { TEST_SECRETS } from './test-env';
import type { TestApp } from './test-app';

export const CREATE_ORGANIZATION = gql`
  mutation CreateOrganization($input: CreateOrganizationInput!) {
    createOrganization(input: $input) {
      organization { id name }
      apiKey { id prefix role }
      secret
    }
  }
`;

export interface TestOrganization {
  id: string;
  name: string;
  /** OWNER API key secret. */
  ownerKey: string;
}

/** A new organization made the way the operator makes one, with its first OWNER key. */
export async function createOrganization(app: TestApp, name = 'Acme'): Promise<TestOrganization> {
  const result = await app.client(TEST_SECRETS.ADMIN_TOKEN).request<{
    createOrganization: { organization: { id: string; name: string }; secret: string };
  }>(CREATE_ORGANIZATION, { input: { name } });
  const { organization, secret } = result.createOrganization;
  return { id: organization.id, name: organization.name, ownerKey: secret };
}

let phoneCounter = 0;

/** A channel input with a unique phone number id. */
export function channelInput(overrides: Record<string, unknown> = {}) {
  phoneCounter += 1;
  const id = `${Date.now()}${phoneCounter}${Math.floor(Math.random() * 1000)}`;
  return {
    phoneNumberId: id,
    wabaId: `9${id}`,
    displayPhoneNumber: '+1 555 010 0000',
    accessToken: `EAAG-secret-token-${id}`,
    ...overrides,
  };
}

/** The `extensions.code` values of a failed graphql-request call. */
export async function errorCodes(promise: Promise<unknown>): Promise<string[]> {
  try {
    await promise;
  } catch (error) {
    const errors = (error as { response?: { errors?: { extensions?: { code?: string } }[] } }).response?.errors;
    if (errors) return errors.map((e) => e.extensions?.code ?? 'NO_CODE');
    throw error;
  }
  throw new Error('Expected the operation to fail, but it succeeded');
}

/** The first GraphQL error of a failed graphql-request call. */
export async function firstError(promise: Promise<unknown>): Promise<{ message: string; extensions: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    const errors = (error as { response?: { errors?: { message: string; extensions: Record<string, unknown> }[] } }).response?.errors;
    if (errors?.[0]) return errors[0];
    throw error;
  }
  throw new Error('Expected the operation to fail, but it succeeded');
}
