import { timingSafeEqual } from 'node:crypto';
import { unauthenticated } from '../domain/errors';
import { roleAtLeast, type Role } from '../domain/role';
import { systemEm } from '../db/entity-manager';
import { isUuid } from '../db/find-by-id';
import { sql } from '../db/sql';
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

/** A PostgreSQL text[] literal; key prefixes are base32-like, but quoted and escaped all the same. */
const toTextArray = (values: string[]) => `{${values.map((value) => `"${value.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;

/** What one credential of a batch came to: its viewer (null when absent), or why it was refused. */
export type AuthenticationOutcome = { viewer: Viewer | null } | { error: unknown };

/**
 * Credentials looked up per query when many are checked at once. Between chunks the event loop
 * gets a turn: a live process re-checking thousands of sockets keeps delivering meanwhile.
 */
const LOOKUP_CHUNK = 100;

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

interface SessionRow {
  id: string;
  organization_id: string;
  user_id: string;
  expires_at: Date;
  revoked_at: Date | null;
  role: Role;
  deactivated_at: Date | null;
}

interface ApiKeyRow {
  id: string;
  prefix: string;
  secret_hash: string;
  organization_id: string;
  role: Role;
  revoked_at: Date | null;
  last_used_at: Date | null;
  user_id: string | null;
  user_role: Role | null;
  user_deactivated_at: Date | null;
}

type Parsed = { kind: 'none' } | { kind: 'operator' } | { kind: 'jwt'; token: string } | { kind: 'apiKey'; key: string; prefix: string };

/**
 * Turns an `Authorization` value into a Viewer: null when absent, UNAUTHENTICATED when wrong.
 * `authenticateMany` checks any number at once, one query per kind of credential and LOOKUP_CHUNK:
 * live feeds re-check every open socket's credential on a timer, thousands of them. Plain SQL:
 * this runs for every request, and entities would only be read, never written.
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
    for (let start = 0; start < tokens.length; start += LOOKUP_CHUNK) {
      if (start) await nextTurn();
      await this.fromAccessTokens(tokens.slice(start, start + LOOKUP_CHUNK), outcomes);
    }
    for (let start = 0; start < keys.length; start += LOOKUP_CHUNK) {
      if (start || tokens.length > LOOKUP_CHUNK) await nextTurn();
      await this.fromApiKeys(keys.slice(start, start + LOOKUP_CHUNK), outcomes);
    }
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
    // Ids from verified tokens only; anything else could not be a uuid.
    const ids = [...new Set(verified.map(({ claims }) => claims.sessionId))].filter(isUuid);
    const sessions = ids.length
      ? await sql<SessionRow>(
          systemEm(this.orm),
          `select s.id, s.organization_id, s.user_id, s.expires_at, s.revoked_at, u.role, u.deactivated_at
             from user_session s join "user" u on u.id = s.user_id where s.id = any(?::uuid[])`,
          [`{${ids.join(',')}}`],
        )
      : [];
    const byId = new Map(sessions.map((session) => [session.id, session]));
    const now = Date.now();
    for (const { index, claims } of verified) {
      const session = byId.get(claims.sessionId);
      if (!session || session.revoked_at || new Date(session.expires_at).getTime() <= now || session.user_id !== claims.userId) {
        outcomes[index] = { error: unauthenticated('The session has ended; sign in again') };
      } else if (session.deactivated_at) {
        outcomes[index] = { error: unauthenticated('This user is deactivated') };
      } else {
        outcomes[index] = {
          viewer: {
            kind: 'member',
            organizationId: session.organization_id,
            role: session.role,
            userId: session.user_id,
            apiKeyId: null,
            sessionId: session.id,
          },
        };
      }
    }
  }

  private async fromApiKeys(keys: { index: number; key: string; prefix: string }[], outcomes: AuthenticationOutcome[]) {
    const em = systemEm(this.orm);
    const found = await sql<ApiKeyRow>(
      em,
      `select k.id, k.prefix, k.secret_hash, k.organization_id, k.role, k.revoked_at, k.last_used_at,
              u.id as user_id, u.role as user_role, u.deactivated_at as user_deactivated_at
         from api_key k left join "user" u on u.id = k.user_id where k.prefix = any(?::text[])`,
      [toTextArray([...new Set(keys.map(({ prefix }) => prefix))])],
    );
    const byPrefix = new Map(found.map((apiKey) => [apiKey.prefix, apiKey]));
    const now = Date.now();
    const used = new Set<string>();
    for (const { index, key, prefix } of keys) {
      const apiKey = byPrefix.get(prefix);
      if (!apiKey || !hashesEqual(apiKey.secret_hash, sha256(key))) {
        outcomes[index] = { error: unauthenticated() };
      } else if (apiKey.revoked_at) {
        outcomes[index] = { error: unauthenticated('This API key has been revoked') };
      } else if (apiKey.user_deactivated_at) {
        outcomes[index] = { error: unauthenticated('The member this API key acts for is deactivated') };
      } else {
        if (!apiKey.last_used_at || now - new Date(apiKey.last_used_at).getTime() > LAST_USED_RESOLUTION_MS) used.add(apiKey.id);
        const userRole = apiKey.user_id ? apiKey.user_role : null;
        outcomes[index] = {
          viewer: {
            kind: 'member',
            organizationId: apiKey.organization_id,
            // A key acting for a member never does more than that member may do today.
            role: userRole && !roleAtLeast(userRole, apiKey.role) ? userRole : apiKey.role,
            userId: apiKey.user_id,
            apiKeyId: apiKey.id,
            sessionId: null,
          },
        };
      }
    }
    if (used.size) {
      await sql(em, 'update api_key set last_used_at = ? where id = any(?::uuid[])', [new Date(now), `{${[...used].join(',')}}`]);
    }
  }
}
