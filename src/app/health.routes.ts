import { Router } from 'express';
import type IORedis from 'ioredis';
import type { Orm } from '../db/orm';

const CHECK_TIMEOUT_MS = 1500;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref()),
  ]);
}

async function check(name: string, probe: () => Promise<unknown>): Promise<[string, string]> {
  try {
    await withTimeout(probe(), CHECK_TIMEOUT_MS);
    return [name, 'ok'];
  } catch (error) {
    return [name, `down: ${(error as Error).message}`];
  }
}

/** Liveness answers while the process runs; readiness names each dependency that is down. */
export function healthRoutes(orm: Orm, redis: IORedis, isShuttingDown: () => boolean): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/health/ready', async (_req, res) => {
    const checks = Object.fromEntries(
      await Promise.all([
        check('postgres', () => orm.em.getConnection().execute('select 1')),
        check('redis', () => redis.ping()),
      ]),
    );
    const ready = !isShuttingDown() && Object.values(checks).every((state) => state === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : isShuttingDown() ? 'shutting down' : 'unavailable', checks });
  });
  return router;
}
