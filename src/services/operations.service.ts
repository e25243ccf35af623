import type { JobQueues } from '../jobs/job-queues';
import type { ProbeResult } from '../jobs/queues';
import { AppError, ErrorCode } from '../domain/errors';

const PROBE_TIMEOUT_MS = 15_000;

/** Sends a probe job through Redis and a worker and waits for it: the end-to-end liveness check. */
export async function probeWorkers(queues: JobQueues, delayMs: number, requestId: string) {
  const started = Date.now();
  const events = await queues.eventsOf('system');
  const job = await queues.add('system', 'probe', { delayMs, requestId });
  try {
    const result = (await job.waitUntilFinished(events, PROBE_TIMEOUT_MS)) as ProbeResult;
    return { jobId: job.id!, processedBy: result.processedBy, latencyMs: Date.now() - started };
  } catch (error) {
    await job.remove().catch(() => undefined);
    throw new AppError(ErrorCode.INTERNAL_SERVER_ERROR, `No worker finished the probe: ${(error as Error).message}`);
  }
}
