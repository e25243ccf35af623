import { ConversationEventType } from '../../entities/conversation-event.entity';
import type { EntityManager } from '../../db/entity-manager';
import { sql } from '../../db/sql';
import type { EventBus } from '../../pubsub/event-bus';
import { appendEvent, type EventDraft } from '../inbound/conversation-log';

/** Agents are warned this long before the 24-hour window closes. */
export const WINDOW_WARNING_MS = 60 * 60 * 1000;
/** Conversations warned per transaction. */
const BATCH = 500;

/**
 * Logs WINDOW_CLOSING_SOON for every open conversation whose 24-hour window closes within the hour
 * and that was not warned about this window yet (`window_warned_for` remembers the expiry warned
 * about; a new customer message moves the expiry, so the next window gets its own warning), then
 * publishes the events. Safe to run concurrently and again: rows are claimed with SKIP LOCKED and
 * marked in the transaction that logs their event. Returns how many were warned.
 */
export async function warnClosingWindows(systemEm: EntityManager, events: EventBus, now = new Date()): Promise<number> {
  const horizon = new Date(now.getTime() + WINDOW_WARNING_MS);
  let warned = 0;
  for (;;) {
    const drafts = await systemEm.transactional(async (tx) => {
      const due = await sql<{ id: string; organization_id: string; window_expires_at: Date }>(
        tx,
        `select id, organization_id, window_expires_at from conversation
         where window_expires_at > ? and window_expires_at <= ? and status <> 'CLOSED'
           and window_warned_for is distinct from window_expires_at
         order by window_expires_at limit ? for update skip locked`,
        [now, horizon, BATCH],
      );
      const logged: EventDraft[] = [];
      for (const row of due) {
        await sql(tx, `update conversation set window_warned_for = window_expires_at where id = ?`, [row.id]);
        logged.push(
          await appendEvent(tx, row.organization_id, row.id, ConversationEventType.WINDOW_CLOSING_SOON, {
            expiresAt: new Date(row.window_expires_at).toISOString(),
          }),
        );
      }
      return logged;
    });
    await events.publish(drafts);
    warned += drafts.length;
    if (drafts.length < BATCH) return warned;
  }
}
