import { UserSession } from '../entities/user-session.entity';
import type { EntityManager } from '../db/entity-manager';

/** Sessions stay this long after they end, so an operator can still see recent sign-outs. */
const KEEP_ENDED_SESSIONS_MS = 7 * 86_400_000;

/** Deletes sessions that expired or were revoked more than a week ago. Returns how many. */
export async function purgeExpiredSessions(systemEm: EntityManager, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - KEEP_ENDED_SESSIONS_MS);
  return systemEm.nativeDelete(UserSession, { $or: [{ expiresAt: { $lt: cutoff } }, { revokedAt: { $lt: cutoff } }] });
}
