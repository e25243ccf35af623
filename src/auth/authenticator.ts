import { timingSafeEqual } from 'node:crypto';
import { ApiKey } from '../entities/api-key.entity';
import { UserSession } from '../entities/user-session.entity';
import { unauthenticated } from '../domain/errors';
import { roleAtLeast } from '../domain/role';
import { systemEm } from '../db/entity-manager';
import type { Orm } from '../db/orm';
import { type JwtSigner, looksLikeJwt } from './jwt';
import { hashesEqual, parseApiKey, sha256 } from './opaque-token';
import type { Viewer } from './viewer';

/** `lastUsedAt` is refreshed at most this often, so reads do not turn into a write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

function constantTimeEquals(a: string, b: string): boolean {
  const left = Buffer.from(sha256(a), 'hex');
  const right = Buffer.from(sha256(b), 'hex');
  return timingSafeEqual(left, right);
}

/** Turns an `Authorization` value into a Viewer: null when absent, UNAUTHENTICATED when wrong. */
export class Authenticator {
  constructor(
    private readonly orm: Orm,
    private readonly jwt: JwtSigner,
    private readonly adminToken: string,
  ) {}

  async authenticate(authorization: string | undefined | null): Promise<Viewer | null> {
    if (authorization === undefined || authorization === null || authorization === '') return null;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw unauthenticated('Authorization must be "Bearer <api key or token>"');
    const credential = match[1]!;
    if (constantTimeEquals(credential, this.adminToken)) return { kind: 'operator' };
    if (looksLikeJwt(credential)) return this.fromAccessToken(credential);
    if (parseApiKey(credential)) return this.fromApiKey(credential);
    throw unauthenticated();
  }

  private async fromAccessToken(token: string): Promise<Viewer> {
    const claims = await this.jwt.verify(token);
    if (!claims) throw unauthenticated('The token is invalid or has expired');
    const em = systemEm(this.orm);
    const session = await em.findOne(UserSession, { id: claims.sessionId }, { populate: ['user'] });
    const now = new Date();
    if (!session || session.revokedAt || session.expiresAt <= now || session.user.id !== claims.userId) {
      throw unauthenticated('The session has ended; sign in again');
    }
    if (session.user.deactivatedAt) throw unauthenticated('This user is deactivated');
    return {
      kind: 'member',
      organizationId: session.organization.id,
      role: session.user.role,
      userId: session.user.id,
      apiKeyId: null,
      sessionId: session.id,
    };
  }

  private async fromApiKey(key: string): Promise<Viewer> {
    const { prefix } = parseApiKey(key)!;
    const em = systemEm(this.orm);
    const apiKey = await em.findOne(ApiKey, { prefix }, { populate: ['user'] });
    if (!apiKey || !hashesEqual(apiKey.secretHash, sha256(key))) throw unauthenticated();
    if (apiKey.revokedAt) throw unauthenticated('This API key has been revoked');
    if (apiKey.user?.deactivatedAt) throw unauthenticated('The member this API key acts for is deactivated');
    const now = Date.now();
    if (!apiKey.lastUsedAt || now - apiKey.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await em.nativeUpdate(ApiKey, { id: apiKey.id }, { lastUsedAt: new Date(now) });
    }
    return {
      kind: 'member',
      organizationId: apiKey.organization.id,
      // A key acting for a member never does more than that member may do today.
      role: apiKey.user && !roleAtLeast(apiKey.user.role, apiKey.role) ? apiKey.user.role : apiKey.role,
      userId: apiKey.user?.id ?? null,
      apiKeyId: apiKey.id,
      sessionId: null,
    };
  }
}
