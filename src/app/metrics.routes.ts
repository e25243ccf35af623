import { Router } from 'express';
import type { JobQueues } from '../jobs/job-queues';
import type { Metrics } from '../observability/metrics';

const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized', 'waiting-children'] as const;

/** Prometheus text format; queue depths are read from Redis at scrape time. */
export function metricsRoutes(metrics: Metrics, queues: JobQueues): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    try {
      await Promise.all(
        queues.all().map(async (queue) => {
          const counts = await queue.getJobCounts(...STATES);
          for (const state of STATES) metrics.queueDepth.set({ queue: queue.name, state }, counts[state] ?? 0);
        }),
      );
    } catch {
      // Redis down: serve the other metrics; readiness reports the outage.
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
