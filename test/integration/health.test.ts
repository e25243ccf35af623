import { startTestApp, type TestApp } from '../helpers/test-app';
import { startRedisServer, type ThrowawayRedis } from '../helpers/redis-server';

interface Readiness {
  status: number;
  body: { status: string; checks: Record<string, string> };
}

async function readiness(app: TestApp): Promise<Readiness> {
  const response = await fetch(`${app.url}/health/ready`);
  return { status: response.status, body: (await response.json()) as Readiness['body'] };
}

/** Polls readiness until it answers `status`; fails with the last answer after the bound. */
async function readinessBecomes(app: TestApp, status: number, boundMs = 15_000): Promise<Readiness> {
  const deadline = Date.now() + boundMs;
  let last = await readiness(app);
  while (last.status !== status && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await readiness(app);
  }
  expect(last).toMatchObject({ status });
  return last;
}

/** Rejects when `promise` has not settled within `ms`, naming what hung. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

describe('health', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  it('answers liveness with 200', async () => {
    const response = await fetch(`${app.url}/health/live`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers readiness with 200 and each dependency ok', async () => {
    expect(await readiness(app)).toEqual({ status: 200, body: { status: 'ok', checks: { postgres: 'ok', redis: 'ok' } } });
  });
});

describe('readiness when Redis goes away', () => {
  let redis: ThrowawayRedis;
  let app: TestApp | undefined;

  beforeAll(async () => {
    redis = await startRedisServer();
    app = await startTestApp({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    // Bounded so a hanging close fails here instead of keeping jest alive.
    await within(app?.stop() ?? Promise.resolve(), 20_000, 'app.stop()').finally(() => redis.dispose());
  }, 30_000);

  it('is ready while its Redis is up', async () => {
    expect(await readiness(app!)).toMatchObject({ status: 200, body: { checks: { postgres: 'ok', redis: 'ok' } } });
  });

  it('answers 503 naming redis as down, and postgres still ok', async () => {
    await redis.stop();
    const { body } = await readinessBecomes(app!, 503);
    expect(body.status).toBe('unavailable');
    expect(body.checks.postgres).toBe('ok');
    expect(body.checks.redis).toMatch(/^down: /);
    // Liveness is about the process, not its dependencies.
    expect((await fetch(`${app!.url}/health/live`)).status).toBe(200);
  }, 30_000);

  it('recovers once Redis is back', async () => {
    await redis.start();
    const { body } = await readinessBecomes(app!, 200);
    expect(body).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
  }, 30_000);

  it('still stops cleanly when Redis is gone', async () => {
    await redis.stop();
    await readinessBecomes(app!, 503);
    const { url } = app!;
    const stopping = app!.stop();
    app = undefined;
    await within(stopping, 20_000, 'app.stop() with Redis down');
    await expect(fetch(`${url}/health/live`)).rejects.toThrow(); // the port is closed

  }, 30_000);
});
