import type { ConnectionOptions } from 'bullmq';
import IORedis, { type RedisOptions } from 'ioredis';

/** Connection options parsed from REDIS_URL, for BullMQ (which opens its own connections). */
export function redisOptions(url: string): RedisOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** BullMQ needs `maxRetriesPerRequest: null` so blocking commands survive reconnects. */
export const bullConnection = (url: string): ConnectionOptions => ({ ...redisOptions(url), maxRetriesPerRequest: null }) as ConnectionOptions;

/** A client for our own short commands (rate limits, health): fail fast instead of queueing forever. */
export const createRedis = (url: string, name: string) =>
  new IORedis({ ...redisOptions(url), connectionName: name, maxRetriesPerRequest: 1, lazyConnect: false });

