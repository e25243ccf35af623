import { summarise, type LatencySummary } from './stats';

/** One request of the load: resolves with the HTTP status. */
export type Send = () => Promise<number>;

export interface LoadResult {
  /** Requests answered 200 per second over the measured window. */
  okPerSecond: number;
  ok: number;
  /** Status (or "error") -> count, for everything that was not a 200. */
  failures: Record<string, number>;
  latency: LatencySummary;
  seconds: number;
  /** Requests answered in all, warm-up included (for CPU per request). */
  answered: number;
  /** Every 200's latency in ms, for combining rounds. */
  samples: number[];
}

/** Several measured windows as one: rates over the summed time, percentiles over all samples. */
export function combine(results: LoadResult[]): LoadResult {
  const samples = results.flatMap((result) => result.samples);
  const seconds = results.reduce((sum, result) => sum + result.seconds, 0);
  const ok = results.reduce((sum, result) => sum + result.ok, 0);
  const answered = results.reduce((sum, result) => sum + result.answered, 0);
  const failures: Record<string, number> = {};
  for (const result of results) for (const [key, n] of Object.entries(result.failures)) failures[key] = (failures[key] ?? 0) + n;
  return { ok, okPerSecond: ok / seconds, failures, latency: summarise(samples), seconds, answered, samples };
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

function tally(failures: Record<string, number>, key: string) {
  failures[key] = (failures[key] ?? 0) + 1;
}

/**
 * Closed loop: `concurrency` senders, each sending its next request when the previous is answered,
 * for `durationMs` after a warm-up that is not counted.
 */
export async function closedLoop(send: Send, concurrency: number, durationMs: number, warmupMs: number): Promise<LoadResult> {
  const start = now();
  const measureFrom = start + warmupMs;
  const end = measureFrom + durationMs;
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let ok = 0;
  let answered = 0;
  const sender = async () => {
    while (now() < end) {
      const sentAt = now();
      let status: number | string;
      try {
        status = await send();
      } catch (error) {
        status = (error as NodeJS.ErrnoException).code ?? 'error';
      }
      const answeredAt = now();
      answered += 1;
      if (sentAt < measureFrom || answeredAt > end) continue;
      if (status === 200) {
        ok += 1;
        latencies.push(answeredAt - sentAt);
      } else tally(failures, String(status));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  return { ok, okPerSecond: ok / (durationMs / 1000), failures, latency: summarise(latencies), seconds: durationMs / 1000, answered, samples: latencies };
}

/**
 * Open loop at a fixed rate: requests are started on schedule whatever the answers do, and each
 * latency is counted from the request's scheduled time, so a stall shows in the figures instead of
 * silently slowing the sender down (coordinated omission). Beyond `maxInFlight` outstanding requests
 * the rest are counted as not sent.
 */
export async function openLoop(send: Send, ratePerSecond: number, durationMs: number, warmupMs: number, maxInFlight = 2000): Promise<LoadResult & { targetPerSecond: number }> {
  const start = now();
  const measureFrom = start + warmupMs;
  const total = Math.floor(((warmupMs + durationMs) / 1000) * ratePerSecond);
  const interval = 1000 / ratePerSecond;
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  const inFlight = new Set<Promise<void>>();
  let ok = 0;
  let answered = 0;
  let next = 0;
  const fire = (scheduledAt: number) => {
    // A service far below the rate would otherwise collect an unbounded backlog that takes minutes to drain.
    if (inFlight.size >= maxInFlight) {
      if (scheduledAt >= measureFrom) tally(failures, 'not sent (backlog full)');
      return;
    }
    const request = send()
      .catch((error: NodeJS.ErrnoException) => error.code ?? 'error')
      .then((status) => {
        answered += 1;
        if (scheduledAt < measureFrom) return;
        if (status === 200) {
          ok += 1;
          latencies.push(now() - scheduledAt);
        } else tally(failures, String(status));
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  };
  while (next < total) {
    const t = now();
    while (next < total && start + next * interval <= t) fire(start + next++ * interval);
    // A timer, not a busy loop: the generator shares the 2 cores with the app and PostgreSQL. Timers
    // fire at 1 ms granularity at best, which latency from the scheduled time accounts for.
    const wait = Math.max(0, start + next * interval - now());
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await Promise.all(inFlight);
  return { ok, okPerSecond: ok / (durationMs / 1000), failures, latency: summarise(latencies), seconds: durationMs / 1000, answered, samples: latencies, targetPerSecond: ratePerSecond };
}
