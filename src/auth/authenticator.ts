import { timingSafeEqual } from 'node:crypto';
import { ApiKey } from '../entities/api-key.entity';
import { UserSession } from '../entities/user-session.entity';
import { unauthenticated } from '../domain/errors';
import { roleAtLeast } from '../domain/role';
import { systemEm } from '../db/entity-manager';
import type { Orm } from '../db/orm';
import { type AccessClaims, type JwtSigner, looksLikeJwt } from './jwt';
import { hashesEqual, parseApiKey, sha256 } from './opaque-token';
import type { Viewer } from './viewer';

/** `lastUsedAt` is refreshed at most this often, so reads do not turn into a write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

function constantTimeEquals(a: string, b: string): boolean {
  const left = Buffer.from(sha256(a), 'hex');
  const right = Buffer.from(sha256(b), 'hex');
  return timingSafeEqual(left, right);
}

/** What one credential of a batch came to: its viewer (null when absent), or why it was refused. */
export type AuthenticationOutcome = { viewer: Viewer | null } | { error: unknown };

/** Credentials looked up per query when many are checked at once. */
const LOOKUP_CHUNK = 500;

type Parsed = { kind: 'none' } | { kind: 'operator' } | { kind: 'jwt'; token: string } | { kind: 'apiKey'; key: string; prefix: string };

/**
 * Turns an `Authorization` value into a Viewer: null when absent, UNAUTHENTICATED when wrong.
 * `authenticateMany` checks any number at once with one query per kind of credential: live feeds
 * re-check every open socket's credential on a timer, thousands of them.
 */
export class Authenticator {
  constructor(
    private readonly orm: Orm,
    private readonly jwt: JwtSigner,
    private readonly adminToken: string,
  ) {}

  async authenticate(authorization: string | undefined | null): Promise<Viewer | null> {
    const outcome = (await this.authenticateMany([authorization ?? '']))[0]!;
    if ('error' in outcome) throw outcome.error;
    return outcome.viewer;
  }

  /** The outcome of each authorization, in order. */
  async authenticateMany(authorizations: readonly string[]): Promise<AuthenticationOutcome[]> {
    const outcomes: AuthenticationOutcome[] = new Array(authorizations.length);
    const tokens: { index: number; token: string }[] = [];
    const keys: { index: number; key: string; prefix: string }[] = [];
    authorizations.forEach((authorization, index) => {
      let parsed: Parsed;
      try {
        parsed = this.parse(authorization);
      } catch (error) {
        outcomes[index] = { error };
        return;
      }
      if (parsed.kind === 'none') outcomes[index] = { viewer: null };
      else if (parsed.kind === 'operator') outcomes[index] = { viewer: { kind: 'operator' } };
      else if (parsed.kind === 'jwt') tokens.push({ index, token: parsed.token });
      else keys.push({ index, key: parsed.key, prefix: parsed.prefix });
    });
    for (let start = 0; start < tokens.length; start += LOOKUP_CHUNK) await this.fromAccessTokens(tokens.slice(start, start + LOOKUP_CHUNK), outcomes);
    for (let start = 0; start < keys.length; start += LOOKUP_CHUNK) await this.fromApiKeys(keys.slice(start, start + LOOKUP_CHUNK), outcomes);
    return outcomes;
  }

  private parse(authorization: string): Parsed {
    if (authorization === '') return { kind: 'none' };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw unauthenticated('Authorization must be "Bearer <api key or token>"');
    const credential = match[1]!;
    if (constantTimeEquals(credential, this.adminToken)) return { kind: 'operator' };
    if (looksLikeJwt(credential)) return { kind: 'jwt', token: credential };
    const apiKey = parseApiKey(credential);
    if (apiKey) return { kind: 'apiKey', key: credential, prefix: apiKey.prefix };
    throw unauthenticated();
  }

  private async fromAccessTokens(tokens: { index: number; token: string }[], outcomes: AuthenticationOutcome[]) {
    const verified: { index: number; claims: AccessClaims }[] = [];
    for (const { index, token } of tokens) {
      const claims = await this.jwt.verify(token);
      if (claims) verified.push({ index, claims });
      else outcomes[index] = { error: unauthenticated('The token is invalid or has expired') };
    }
    if (!verified.length) return;
    const em = systemEm(this.orm);
    const sessions = await em.find(UserSession, { id: { $in: [...new Set(verified.map(({ claims }) => claims.sessionId))] } }, { populate: ['user'] });
    const byId = new Map(sessions.map((session) => [session.id, session]));
    const now = new Date();
    for (const { index, claims } of verified) {
      const session = byId.get(claims.sessionId);
      if (!session || session.revokedAt || session.expiresAt <= now || session.user.id !== claims.userId) {
        outcomes[index] = { error: unauthenticated('The session has ended; sign in again') };
      } else if (session.user.deactivatedAt) {
        outcomes[index] = { error: unauthenticated('This user is deactivated') };
      } else {
        outcomes[index] = {
          viewer: {
            kind: 'member',
            organizationId: session.organization.id,
            role: session.user.role,
            userId: session.user.id,
            apiKeyId: null,
            sessionId: session.id,
          },
        };
      }
    }
  }

  private async fromApiKeys(keys: { index: number; key: string; prefix: string }[], outcomes: AuthenticationOutcome[]) {
    const em = systemEm(this.orm);
    const found = await em.find(ApiKey, { prefix: { $in: [...new Set(keys.map(({ prefix }) => prefix))] } }, { populate: ['user'] });
    const byPrefix = new Map(found.map((apiKey) => [apiKey.prefix, apiKey]));
    const now = Date.now();
    const used = new Set<string>();
    for (const { index, key, prefix } of keys) {
      const apiKey = byPrefix.get(prefix);
      if (!apiKey || !hashesEqual(apiKey.secretHash, sha256(key))) {
        outcomes[index] = { error: unauthenticated() };
      } else if (apiKey.revokedAt) {
        outcomes[index] = { error: unauthenticated('This API key has been revoked') };
      } else if (apiKey.user?.deactivatedAt) {
        outcomes[index] = { error: unauthenticated('The member this API key acts for is deactivated') };
      } else {
        if (!apiKey.lastUsedAt || now - apiKey.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) used.add(apiKey.id);
        outcomes[index] = {
          viewer: {
            kind: 'member',
            organizationId: apiKey.organization.id,
            // A key acting for a member never does more than that member may do today.
            role: apiKey.user && !roleAtLeast(apiKey.user.role, apiKey.role) ? apiKey.user.role : apiKey.role,
            userId: apiKey.user?.id ?? null,
            apiKeyId: apiKey.id,
            sessionId: null,
          },
        };
      }
    }
    if (used.size) await em.nativeUpdate(ApiKey, { id: { $in: [...used] } }, { lastUsedAt: new Date(now) });
  }
}
