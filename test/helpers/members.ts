import { randomBytes } from 'node:crypto';
import { gql } from 'graphql-request';
import type { TestApp } from './test-app';

export type Role = 'OWNER' | 'ADMIN' | 'AGENT' | 'VIEWER';

export const INVITE_USER = gql`
  mutation InviteUser($input: InviteUserInput!) {
    inviteUser(input: $input) { user { id email name role activated } inviteToken }
  }
`;

export const ACCEPT_INVITE = gql`
  mutation AcceptInvite($input: AcceptInviteInput!) {
    acceptInvite(input: $input) { token refreshToken expiresAt user { id email role activated } }
  }
`;

export const LOGIN = gql`
  mutation Login($input: LoginInput!) {
    login(input: $input) { token refreshToken expiresAt user { id email role } }
  }
`;

export const REFRESH_TOKEN = gql`
  mutation Refresh($input: RefreshTokenInput!) {
    refreshToken(input: $input) { token refreshToken user { id } }
  }
`;

export const LOGOUT = gql`
  mutation { logout { success } }
`;

export const VIEWER = gql`
  query { viewer { role organization { id } user { id email role } apiKey { id prefix role } } }
`;

export const CREATE_API_KEY = gql`
  mutation CreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) { apiKey { id prefix role name } secret }
  }
`;

export const REVOKE_API_KEY = gql`
  mutation RevokeApiKey($input: RevokeApiKeyInput!) {
    revokeApiKey(input: $input) { apiKey { id revokedAt } }
  }
`;

export const API_KEYS = gql`
  query ApiKeys($first: Int, $after: String) {
    apiKeys(first: $first, after: $after) { totalCount edges { node { id prefix role name revokedAt } } }
  }
`;

export const USERS = gql`
  query Users($first: Int, $after: String) {
    users(first: $first, after: $after) { totalCount edges { node { id email role deactivatedAt } } }
  }
`;

export const UPDATE_USER_ROLE = gql`
  mutation UpdateUserRole($input: UpdateUserRoleInput!) {
    updateUserRole(input: $input) { user { id role } }
  }
`;

export const DEACTIVATE_USER = gql`
  mutation DeactivateUser($input: DeactivateUserInput!) {
    deactivateUser(input: $input) { user { id deactivatedAt } }
  }
`;

export const uniqueEmail = (label = 'member') => `${label}-${randomBytes(4).toString('hex')}@example.test`;

export interface TestMember {
  id: string;
  email: string;
  password: string;
  role: Role;
  /** Access token (JWT) of the session opened by acceptInvite. */
  token: string;
  refreshToken: string;
}

/** A member invited by `inviterCredential` who has accepted and is signed in. */
export async function addMember(app: TestApp, inviterCredential: string, role: Role, email = uniqueEmail(role.toLowerCase())): Promise<TestMember> {
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const invited = await app.client(inviterCredential).request<any>(INVITE_USER, { input: { email, name: `${role} member`, role } });
  const accepted = await app.client().request<any>(ACCEPT_INVITE, { input: { token: invited.inviteUser.inviteToken, password } });
  const session = accepted.acceptInvite;
  return { id: session.user.id, email, password, role, token: session.token, refreshToken: session.refreshToken };
}

/** A new API key secret with `role`, made by `creatorCredential`. */
export async function createApiKey(app: TestApp, creatorCredential: string, role: Role, extra: { userId?: string; name?: string } = {}) {
  const result = await app.client(creatorCredential).request<any>(CREATE_API_KEY, {
    input: { name: extra.name ?? `${role} key`, role, ...(extra.userId ? { userId: extra.userId } : {}) },
  });
  return { id: result.createApiKey.apiKey.id as string, prefix: result.createApiKey.apiKey.prefix as string, secret: result.createApiKey.secret as string };
}
