import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { GraphQLClient } from 'graphql-request';
import { bootstrap, type App } from '../../src/app/bootstrap';
import { loadConfig } from '../../src/config/config';
import { createTestDatabase as createDatabase } from './database';
import { captureLogs } from './log-capture';
import { TEST_SECRETS, requireEnv } from './test-env';
import { waitFor } from './wait';

export interface TestApp extends App {
  /** Every JSON log line the app wrote. */
  logs: string[];
  databaseName: string;
  /** graphql-request client, optionally with a bearer credential. */
  client(token?: string): GraphQLClient;
  /** Raw POST /graphql, for status codes and hostile bodies. */
  post(body: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: any }>;
  stop(): Promise<void>;
}

/** Removes every Redis key of one app's prefix (its own keys and BullMQ's hash-tagged ones). */
export async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new IORedis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    for (const pattern of [`${prefix}:*`, `{${prefix}}:*`]) {
      const stream = redis.scanStream({ match: pattern, count: 500 });
      for await (const keys of stream as AsyncIterable<string[]>) if (keys.length) await redis.unlink(...keys);
    }
  } finally {
    redis.disconnect();
  }
}

/**
 * A worker's daily template sync runs once at start. Waiting for it keeps it from racing a test's
 * fixtures: run after a test created a channel, it would queue a sync against a Graph API that
 * is not there, whose retries then keep the queues busy for minutes.
 */
async function startupTemplateSyncDone(app: App): Promise<void> {
  const maintenance = app.queues.get('maintenance');
  await waitFor(
    async () => !(await maintenance.getJobs(['waiting', 'active', 'prioritized'])).some((job) => job.name === 'sync-all-templates'),
    { what: 'the start-up template sync', timeoutMs: 30_000 },
  );
}

/**
 * Starts the real app (api and workers in one process) on a random port, with its own database
 * cloned from the migrated template and its own Redis key prefix, so test files never collide.
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createDatabase();
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const { log, lines } = captureLogs(env.LOG_LEVEL ?? 'info');
  let app: App;
  try {
    const config = loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      DATABASE_POOL_MAX: '5',
      REDIS_URL: requireEnv('REDIS_URL'),
      REDIS_PREFIX: prefix,
      ...TEST_SECRETS,
      ...env,
    });
    app = await bootstrap(config, { logger: log });
    if (config.role !== 'api') await startupTemplateSyncDone(app).catch(async (error: unknown) => {
      await app.close();
      throw error;
    });
  } catch (error) {
    await database.drop();
    throw error;
  }
  const graphqlUrl = `${app.url}/graphql`;
  let stopped = false;
  return Object.assign(app, {
    logs: lines,
    databaseName: database.name,
    client: (token?: string) =>
      new GraphQLClient(graphqlUrl, token ? { headers: { authorization: `Bearer ${token}` } } : undefined),
    async post(body: unknown, headers: Record<string, string> = {}) {
      const response = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, headers: response.headers, body: parsed as any };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await app.close();
      await deleteKeys(requireEnv('REDIS_URL'), prefix);
      await database.drop();
    },
  });
}
