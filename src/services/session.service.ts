import { UserSession } from '../entities/user-session.entity';
import { User } from '../entities/user.entity';
import type { EntityManager } from '../db/entity-manager';
import type { JwtSigner } from '../auth/jwt';
import { randomToken, sha256 } from '../auth/opaque-token';
import { DUMMY_PASSWORD_HASH, verifyPassword } from '../auth/password';
import { unauthenticated } from '../domain/errors';

export interface SessionTokens {
  token: string;
  expiresAt: Date;
  refreshToken: string;
  user: User;
}

export interface SessionDeps {
  jwt: JwtSigner;
  refreshTtlDays: number;
}

async function issue(em: EntityManager, deps: SessionDeps, user: User, session?: UserSession): Promise<SessionTokens> {
  const refreshToken = randomToken();
  const expiresAt = new Date(Date.now() + deps.refreshTtlDays * 86_400_000);
  if (session) {
    // Rotation: the old refresh token stops working the moment a new one is handed out.
    session.refreshTokenHash = sha256(refreshToken);
    session.expiresAt = expiresAt;
    session.lastUsedAt = new Date();
  } else {
    session = em.create(UserSession, { organization: user.organization, user, refreshTokenHash: sha256(refreshToken), expiresAt });
  }
  await em.flush();
  const access = await deps.jwt.sign({ userId: user.id, organizationId: user.organization.id, sessionId: session.id });
  return { token: access.token, expiresAt: access.expiresAt, refreshToken, user };
}

/** Email and password sign-in. Unknown email and wrong password are indistinguishable, timing included. */
export async function login(systemEm: EntityManager, deps: SessionDeps, email: string, password: string) {
  const user = await systemEm.findOne(User, { email: email.trim().toLowerCase() });
  const valid = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
  if (!user || !user.passwordHash || !valid || user.deactivatedAt) {
    throw unauthenticated('Email or password is incorrect');
  }
  user.lastLoginAt = new Date();
  return issue(systemEm, deps, user);
}

export async function startSession(systemEm: EntityManager, deps: SessionDeps, user: User) {
  return issue(systemEm, deps, user);
}

export async function refreshSession(systemEm: EntityManager, deps: SessionDeps, refreshToken: string) {
  const session = await systemEm.findOne(UserSession, { refreshTokenHash: sha256(refreshToken) }, { populate: ['user'] });
  if (!session || session.revokedAt || session.expiresAt <= new Date() || session.user.deactivatedAt) {
    throw unauthenticated('The refresh token is invalid or has expired');
  }
  return issue(systemEm, deps, session.user, session);
}

/** Ends one session; its access tokens stop working on the next request. */
export async function revokeSession(em: EntityManager, sessionId: string): Promise<void> {
  await em.nativeUpdate(UserSession, { id: sessionId, revokedAt: null }, { revokedAt: new Date() });
}

export async function revokeUserSessions(em: EntityManager, userId: string): Promise<void> {
  await em.nativeUpdate(UserSession, { user: userId, revokedAt: null }, { revokedAt: new Date() });
}
