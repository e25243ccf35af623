import type { Role } from '../domain/role';

/** Who is calling: resolved once per request (or WebSocket connection) from the bearer credential. */
export type Viewer =
  | {
      kind: 'member';
      organizationId: string;
      role: Role;
      /** The person acting: the signed-in user, or the user an API key acts for. */
      userId: string | null;
      apiKeyId: string | null;
      sessionId: string | null;
    }
  | { kind: 'operator' };

/** A stable key for per-credential limits: the key, the session, or the operator. */
export function credentialKey(viewer: Viewer): string {
  if (viewer.kind === 'operator') return 'operator';
  return viewer.apiKeyId ? `key:${viewer.apiKeyId}` : `session:${viewer.sessionId}`;
}
