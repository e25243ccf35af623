import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Metrics } from '../observability/metrics';
import type { JobDeps } from './job-context';
import { probeHandler } from './probe.worker';
import { purgeExpiredSessionsHandler } from './purge-expired-sessions.worker';
import { QUEUE_DEFAULTS, QUEUE_NAMES, type QueueName } from './queues';

type Handler = (job: Job) => Promise<unknown>;

/** Job name -> handler, per queue. A job with an unknown name fails rather than vanishing. */
function handlers(deps: JobDeps): Record<QueueName, Record<string, Handler>> {
  return {
    system: { probe: probeHandler(deps) as Handler },
    maintenance: { 'purge-expired-sessions': purgeExpiredSessionsHandler(deps) },
  };
}

export interface RunningWorkers {
  /** Stops taking jobs and waits for the ones in flight. */
  close(): Promise<void>;
}

export function startWorkers(connection: ConnectionOptions, prefix: string, deps: JobDeps, metrics: Metrics): RunningWorkers {
  const table = handlers(deps);
  const workers = QUEUE_NAMES.map((queue) => {
    const worker = new Worker(
      queue,
      async (job) => {
        const handler = table[queue][job.name];
        if (!handler) throw new Error(`No handler for job "${job.name}" on queue "${queue}"`);
        return handler(job);
      },
      { connection, prefix, concurrency: QUEUE_DEFAULTS[queue].concurrency },
    );
    worker.on('completed', () => metrics.jobOutcomes.inc({ queue, outcome: 'completed' }));
    worker.on('failed', (job, error) => {
      metrics.jobOutcomes.inc({ queue, outcome: 'failed' });
      deps.log.warn({ queue, jobId: job?.id, jobName: job?.name, requestId: job?.data?.requestId, err: error }, 'job failed');
    });
    worker.on('error', (error) => deps.log.error({ queue, err: error }, 'worker error'));
    return worker;
  });
  return {
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
    },
  };
}
