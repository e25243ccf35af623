import { get } from 'node:http';
import { Job, Queue } from 'bullmq';
import { bullConnection } from '../../src/app/redis';
import { startChildApp, type ChildApp, type ChildExit } from '../helpers/child-app';
import { TEST_SECRETS, requireEnv } from '../helpers/test-env';

/** Bounds every wait; far above a normal drain (a 2 s job), far below jest's timeout. */
const DEADLINE_MS = 20_000;

async function until<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs = DEADLINE_MS): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function exitWithin(app: ChildApp, ms: number): Promise<ChildExit> {
  return Promise.race([
    app.exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`The app did not exit within ${ms} ms:\n${app.stderr()}`)), ms).unref()),
  ]);
}

/** GET /health/ready on a new connection (no keep-alive pool), so a closed listener shows as refused. */
function readiness(url: string): Promise<number | 'refused'> {
  return new Promise((resolve, reject) => {
    const request = get(`${url}/health/ready`, { agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode!);
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET') resolve('refused');
      else reject(error);
    });
  });
}

/** Polls readiness until the app stops taking work; says whether the app was still running then. */
async function refusalWhileRunning(app: ChildApp): Promise<{ answer: number | 'refused'; stillRunning: boolean }> {
  return until('readiness to refuse new work', async () => {
    const answer = await readiness(app.url);
    if (answer === 200) return undefined;
    return { answer, stillRunning: app.process.exitCode === null && app.process.signalCode === null };
  });
}

describe('graceful shutdown on SIGTERM', () => {
  let app: ChildApp | undefined;
  let queue: Queue | undefined;

  beforeEach(async () => {
    app = await startChildApp({ SHUTDOWN_TIMEOUT_MS: String(DEADLINE_MS) });
    // The app hash-tags its prefix: `{<REDIS_PREFIX>}`.
    queue = new Queue('system', { connection: bullConnection(requireEnv('REDIS_URL')), prefix: `{${app.prefix}}` });
  });
  afterEach(async () => {
    await queue?.close();
    await app?.stop();
  });

  it('finishes the active job, refuses new connections while draining, and exits 0', async () => {
    const job = await queue!.add('probe', { delayMs: 2000 });
    await until('the probe job to be active', async () => ((await job.getState()) === 'active' ? true : undefined));

    app!.process.kill('SIGTERM');
    const refusal = await refusalWhileRunning(app!);
    const exit = await exitWithin(app!, DEADLINE_MS);

    expect(refusal.stillRunning).toBe(true);
    expect([503, 'refused']).toContain(refusal.answer);
    expect(exit).toEqual({ code: 0, signal: null });
    const finished = (await Job.fromId(queue!, job.id!))!;
    expect(await finished.getState()).toBe('completed');
    expect(finished.returnvalue).toMatchObject({ processedBy: expect.stringMatching(new RegExp(`:${app!.process.pid}$`)) });
    expect(finished.attemptsMade).toBe(1);
    expect(app!.logs.map((line) => line.msg)).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
  });

  it('answers a slow GraphQL request that started before SIGTERM in full', async () => {
    const response = fetch(`${app!.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_SECRETS.ADMIN_TOKEN}` },
      body: JSON.stringify({ query: 'mutation { probeWorkers(input: { delayMs: 1500 }) { jobId processedBy latencyMs } }' }),
    });
    // Once the request's job is running, the request is certainly in flight on the server.
    await until('the probe job of the request to be active', async () => ((await queue!.getActiveCount()) > 0 ? true : undefined));

    app!.process.kill('SIGTERM');
    const answer = await response;
    const body = (await answer.json()) as { data?: { probeWorkers: { processedBy: string; latencyMs: number } }; errors?: unknown };
    const exit = await exitWithin(app!, DEADLINE_MS);

    expect(answer.status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data!.probeWorkers.processedBy).toMatch(new RegExp(`:${app!.process.pid}$`));
    expect(body.data!.probeWorkers.latencyMs).toBeGreaterThan(1000);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
