import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Metrics } from '../observability/metrics';
import type { JobDeps } from './job-context';
import { systemEm } from '../db/entity-manager';
import { markDeliveryFailed } from '../services/inbound/delivery-maintenance.service';
import { probeHandler } from './probe.worker';
import { processDeliveryHandler } from './process-delivery.worker';
import { purgeExpiredSessionsHandler } from './purge-expired-sessions.worker';
import { sweepDeliveriesHandler } from './sweep-deliveries.worker';
import { markReadHandler, sweepOutboundHandler } from './outbound-maintenance.worker';
import { RetryLaterError, sendMessageHandler } from './send-message.worker';
import { expireBotSessionsHandler, flowHttpHandler } from './flow.worker';
import { deleteTemplateHandler, submitTemplateHandler, syncAllTemplatesHandler, syncTemplatesHandler } from './template.worker';
import { warnClosingWindowsHandler } from './window-closing.worker';
import { rebuildAnalyticsHandler, refreshAnalyticsHandler } from './analytics.worker';
import { backoffMs } from '../domain/retry-policy';
import { QUEUE_DEFAULTS, QUEUE_NAMES, type QueueName } from './queues';

type Handler = (job: Job, token?: string) => Promise<unknown>;

/** Job name -> handler, per queue. A job with an unknown name fails rather than vanishing. */
function handlers(deps: JobDeps): Record<QueueName, Record<string, Handler>> {
  return {
    system: { probe: probeHandler(deps) as Handler },
    outbound: {
      'send-message': sendMessageHandler(deps) as Handler,
      'mark-read': markReadHandler(deps) as Handler,
      'submit-template': submitTemplateHandler(deps) as Handler,
      'delete-template': deleteTemplateHandler(deps) as Handler,
      'sync-templates': syncTemplatesHandler(deps) as Handler,
      'flow-http': flowHttpHandler(deps) as Handler,
    },
    webhook: { 'process-delivery': processDeliveryHandler(deps) as Handler },
    maintenance: {
      'purge-expired-sessions': purgeExpiredSessionsHandler(deps),
      'sweep-deliveries': sweepDeliveriesHandler(deps),
      'sweep-outbound': sweepOutboundHandler(deps),
      'sync-all-templates': syncAllTemplatesHandler(deps),
      'expire-bot-sessions': expireBotSessionsHandler(deps),
      'warn-closing-windows': warnClosingWindowsHandler(deps),
    },
    analytics: {
      'refresh-analytics': refreshAnalyticsHandler(deps),
      'rebuild-analytics': rebuildAnalyticsHandler(deps) as Handler,
    },
  };
}

export interface RunningWorkers {
  /**
   * Stops taking jobs and waits for the ones in flight. `force` skips the wait: for when Redis is
   * unreachable, where a graceful close never returns (bullmq#4656) and in-flight jobs cannot be
   * acknowledged anyway (they stall and are retried after their lock expires).
   */
  close(force?: boolean): Promise<void>;
}

export interface WorkerOptions {
  /** How long a job's lock lasts before a dead worker's job is taken over (BullMQ default 30 s). */
  lockDurationMs: number;
}

export function startWorkers(connection: ConnectionOptions, prefix: string, deps: JobDeps, metrics: Metrics, options: WorkerOptions): RunningWorkers {
  const table = handlers(deps);
  const workers = QUEUE_NAMES.map((queue) => {
    const worker = new Worker(
      queue,
      async (job, token) => {
        const handler = table[queue][job.name];
        // Permanent: retrying cannot make a handler appear, so skip the queue's attempts and backoff.
        if (!handler) throw new UnrecoverableError(`No handler for job "${job.name}" on queue "${queue}"`);
        return handler(job, token);
      },
      {
        connection,
        prefix,
        concurrency: QUEUE_DEFAULTS[queue].concurrency,
        lockDuration: options.lockDurationMs,
        stalledInterval: options.lockDurationMs,
        settings: {
          // 'meta': never sooner than Meta asked for the error (RetryLaterError), else exponential with jitter.
          backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
            backoffMs(attemptsMade, error instanceof RetryLaterError ? error.waitMs : 0),
        },
      },
    );
    worker.on('completed', () => metrics.jobOutcomes.inc({ queue, outcome: 'completed' }));
    worker.on('failed', (job, error) => {
      metrics.jobOutcomes.inc({ queue, outcome: 'failed' });
      deps.log.warn({ queue, jobId: job?.id, jobName: job?.name, requestId: job?.data?.requestId, err: error }, 'job failed');
      const finalAttempt = job && job.attemptsMade >= (job.opts.attempts ?? 1);
      if (finalAttempt && job.name === 'process-delivery') {
        void markDeliveryFailed(systemEm(deps.orm), job.data.deliveryId, error.message).catch((markError: unknown) =>
          deps.log.error({ err: markError }, 'could not mark delivery failed'),
        );
      }
    });
    worker.on('error', (error) => deps.log.error({ queue, err: error }, 'worker error'));
    return worker;
  });
  return {
    async close(force = false) {
      await Promise.all(workers.map((worker) => worker.close(force)));
    },
  };
}
