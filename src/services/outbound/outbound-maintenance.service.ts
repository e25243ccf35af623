import type { EntityManager } from '../../db/entity-manager';
import { sql } from '../../db/sql';
import type { JobQueues } from '../../jobs/job-queues';

/** A QUEUED message untouched this long may have lost its job (crash between commit and enqueue). */
export const OUTBOUND_SWEEP_AFTER_MS = 60_000;

/**
 * Re-enqueues stuck QUEUED messages; the job id is the message's, so live jobs are not doubled.
 * A message whose outcome is unknown (IN_FLIGHT, UNCERTAIN) is swept too: its job may be lost
 * like any other, and the send job itself decides between waiting for the status webhook and
 * sending again.
 */
export async function sweepOutbound(em: EntityManager, queues: JobQueues, olderThanMs = OUTBOUND_SWEEP_AFTER_MS): Promise<number> {
  const stuck = await sql<{ id: string }>(
    em,
    `select id from message where status = 'QUEUED' and updated_at < now() - (? * interval '1 millisecond')
     order by created_at limit 1000`,
    [olderThanMs],
  );
  if (!stuck.length) return 0;
  // A job kept as failed holds its id for days, and re-adding that id would do nothing: clear it first.
  const queue = queues.get('outbound');
  for (const { id } of stuck) {
    const job = await queue.getJob(`send-${id}`);
    if (job && (await job.isFailed())) await job.remove();
  }
  await queue.addBulk(stuck.map(({ id }) => ({ name: 'send-message', data: { messageId: id }, opts: { jobId: `send-${id}` } })));
  return stuck.length;
}
