import type { Logger } from 'pino';
import { AppError } from '../../domain/errors';
import type { AuthenticationOutcome } from '../../auth/authenticator';
import { credentialKey, type Viewer } from '../../auth/viewer';

/** An open, authenticated socket as the guard sees it. */
export interface GuardedSocket {
  close(code: number, reason: string): void;
}

interface Entry {
  authorization: string;
  viewer: Viewer;
  key: string;
}

export interface ConnectionGuardOptions {
  /** Open sockets allowed per credential (API key, session, operator) in this process. */
  maxConnectionsPerKey: number;
  /** How often every open socket's credential is checked again. */
  reauthIntervalMs: number;
  /** The same check as connection_init's, for many credentials at once: an AppError for one no longer valid. */
  authenticateMany(authorizations: string[]): Promise<AuthenticationOutcome[]>;
  log: Logger;
}

/** graphql-ws's Forbidden: what a revoked credential's sockets are closed with. */
const FORBIDDEN = 4403;

const sameViewer = (a: Viewer, b: Viewer | null) =>
  b !== null &&
  (a.kind === 'operator'
    ? b.kind === 'operator'
    : b.kind === 'member' &&
      a.organizationId === b.organizationId &&
      a.role === b.role &&
      a.userId === b.userId &&
      a.apiKeyId === b.apiKeyId &&
      a.sessionId === b.sessionId);

/**
 * Bounds the sockets one credential may hold, and re-checks every open socket's credential on a
 * timer: a revoked key, an ended session, a deactivated member or a changed role closes the socket
 * with 4403 within one interval, instead of it listening on for as long as it stays connected.
 * Counts are per process: each api process enforces its own bound.
 */
export class ConnectionGuard {
  private readonly sockets = new Map<GuardedSocket, Entry>();
  private readonly perKey = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private sweeping = false;

  constructor(private readonly options: ConnectionGuardOptions) {}

  /** Records an authenticated socket; false when its credential already holds the most sockets allowed. */
  admit(socket: GuardedSocket, authorization: string, viewer: Viewer): boolean {
    const key = credentialKey(viewer);
    const count = this.perKey.get(key) ?? 0;
    if (count >= this.options.maxConnectionsPerKey) return false;
    this.perKey.set(key, count + 1);
    this.sockets.set(socket, { authorization, viewer, key });
    return true;
  }

  release(socket: GuardedSocket): void {
    const entry = this.sockets.get(socket);
    if (!entry) return;
    this.sockets.delete(socket);
    const count = (this.perKey.get(entry.key) ?? 1) - 1;
    if (count > 0) this.perKey.set(entry.key, count);
    else this.perKey.delete(entry.key);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sweep(), this.options.reauthIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Checks each distinct credential once (all in one batch) and closes the sockets of those no longer valid as they were. */
  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const byCredential = new Map<string, [GuardedSocket, Entry][]>();
      for (const [socket, entry] of this.sockets) {
        const group = byCredential.get(entry.authorization);
        if (group) group.push([socket, entry]);
        else byCredential.set(entry.authorization, [[socket, entry]]);
      }
      if (!byCredential.size) return;
      const authorizations = [...byCredential.keys()];
      let outcomes: AuthenticationOutcome[];
      try {
        outcomes = await this.options.authenticateMany(authorizations);
      } catch (error) {
        // A database hiccup must not disconnect everyone: the next sweep checks again.
        this.options.log.warn({ err: error }, 'could not re-check live socket credentials');
        return;
      }
      authorizations.forEach((authorization, index) => {
        const outcome = outcomes[index]!;
        if ('error' in outcome && !(outcome.error instanceof AppError)) {
          this.options.log.warn({ err: outcome.error }, 'could not re-check a live socket credential');
          return;
        }
        const viewer = 'viewer' in outcome ? outcome.viewer : null;
        for (const [socket, entry] of byCredential.get(authorization)!) {
          if (sameViewer(entry.viewer, viewer)) continue;
          this.release(socket);
          socket.close(FORBIDDEN, 'Forbidden: the credential was revoked or changed');
        }
      });
    } finally {
      this.sweeping = false;
    }
  }
}
