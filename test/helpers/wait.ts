import type { JobQueues } from '../../src/jobs/job-queues';

/** Polls until `check` returns a truthy value, or fails after `timeoutMs` with the last value seen. */
export async function waitFor<T>(check: () => Promise<T> | T, { timeoutMs = 10_000, intervalMs = 50, what = 'condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Waits until no queue has waiting, active or delayed jobs (scheduled repeatable jobs excepted: they
 * are always delayed); names the busy queues if it times out.
 */
export async function waitForQueuesIdle(queues: JobQueues, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const busy: string[] = [];
    for (const queue of queues.all()) {
      const counts = await queue.getJobCounts('waiting', 'active', 'prioritized');
      counts.delayed = (await queue.getDelayed()).filter((job) => !job.repeatJobKey).length;
      const pending = Object.values(counts).reduce((sum, n) => sum + n, 0);
      if (pending) busy.push(`${queue.name} (${JSON.stringify(counts)})`);
    }
    if (!busy.length) return;
    if (Date.now() > deadline) throw new Error(`Queues still busy after ${timeoutMs} ms: ${busy.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
