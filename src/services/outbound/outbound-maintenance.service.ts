import type { EntityManager } from '../../db/entity-manager';
import { sql } from '../../db/sql';
import type { JobQueues } from '../../jobs/job-queues';

/** A QUEUED message untouched this long may have lost its job (crash between commit and enqueue). */
export const OUTBOUND_SWEEP_AFTER_MS = 60_000;

/** Re-enqueues stuck QUEUED messages; the job id is the message's, so live jobs are not doubled. */
export async function sweepOutbound(em: EntityManager, queues: JobQueues, olderThanMs = OUTBOUND_SWEEP_AFTER_MS): Promise<number> {
  const stuck = await sql<{ id: string }>(
    em,
    `select id from message where status = 'QUEUED' and send_state = 'PENDING' and updated_at < now() - (? * interval '1 millisecond')
     order by created_at limit 1000`,
    [olderThanMs],
  );
  if (!stuck.length) return 0;
  await queues.get('outbound').addBulk(stuck.map(({ id }) => ({ name: 'send-message', data: { messageId: id }, opts: { jobId: `send-${id}` } })));
  return stuck.length;
}
