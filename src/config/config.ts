import { z } from 'zod';

/** How this process runs: the HTTP api, the BullMQ workers, or both (the default for `npm start`). */
export type Role = 'api' | 'worker' | 'all';

const hex64 = /^[0-9a-fA-F]{64}$/;
/** A whole number in a range, with a message a person can act on. */
const int = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int({ error: `must be a whole number from ${min} to ${max}` })
    .min(min, { error: `must be a whole number from ${min} to ${max}` })
    .max(max, { error: `must be a whole number from ${min} to ${max}` })
    .default(fallback);

const csv = (value: string) => value.split(',').map((item) => item.trim()).filter(Boolean);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  ROLE: z.enum(['api', 'worker', 'all']).default('all'),
  PORT: int(0, 65535, 4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }),
  DATABASE_POOL_MAX: int(1, 200, 20),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// URL' }),
  /** Prefix of every Redis key we own; `{...}` hash-tags keep BullMQ Cluster-safe. */
  REDIS_PREFIX: z.string().regex(/^[\w:{}-]+$/, 'letters, digits, _ - : { } only').default('wa'),
  META_APP_SECRET: z.string().min(1),
  META_VERIFY_TOKEN: z.string().min(1),
  GRAPH_TIMEOUT_MS: int(100, 120_000, 10_000),
  SEND_RECONCILE_MS: int(1000, 3_600_000, 120_000),
  META_GRAPH_URL: z.url({ protocol: /^https?$/ }).default('https://graph.facebook.com/v25.0'),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  ENCRYPTION_KEY: z.string().regex(hex64, 'must be 32 bytes written as 64 hex characters'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters'),
  JWT_TTL_SECONDS: int(30, 86_400, 900),
  REFRESH_TTL_DAYS: int(1, 365, 30),
  RATE_LIMIT_PER_MINUTE: int(1, 1_000_000, 1200),
  CORS_ORIGINS: z.string().default('').transform(csv),
  BODY_LIMIT_BYTES: int(1024, 64 * 1_048_576, 1_048_576),
  MAX_QUERY_DEPTH: int(2, 50, 12),
  MAX_QUERY_COMPLEXITY: int(10, 1_000_000, 5000),
  INTROSPECTION: z.enum(['true', 'false']).optional().transform((value) => value && value === 'true'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: int(100, 600_000, 25_000),
  JOB_LOCK_MS: int(1000, 600_000, 30_000),
  WEBHOOK_DELIVERIES_PER_JOB: int(1, 200, 50),
  LOCAL_MODE: z.enum(['0', '1']).default('0').transform((value) => value === '1'),
  FLOW_HTTP_ALLOW_PRIVATE: z.enum(['0', '1']).default('0').transform((value) => value === '1'),
  LIVE_KEEPALIVE_MS: int(1000, 600_000, 12_000),
  LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION: int(1, 10_000, 100),
  LIVE_MAX_CONNECTIONS_PER_KEY: int(1, 100_000, 200),
  LIVE_MAX_BUFFERED_BYTES: int(16 * 1024, 1024 * 1_048_576, 4 * 1_048_576),
  LIVE_MAX_QUEUED_EVENTS: int(2, 1_000_000, 1000),
  LIVE_REAUTH_INTERVAL_MS: int(100, 3_600_000, 15_000),
  LIVE_REPLAY_LIMIT: int(1, 1_000_000, 10_000),
});

export interface Config {
  env: 'development' | 'production' | 'test';
  role: Role;
  http: { port: number; host: string; bodyLimitBytes: number; corsOrigins: string[] };
  database: { url: string; poolMax: number };
  redis: { url: string; prefix: string };
  meta: {
    appSecret: string;
    verifyToken: string;
    graphUrl: string;
    /** Per Graph API request; default 10 s. */
    graphTimeoutMs: number;
    /** How long a send with an unknown outcome waits for Meta's status webhook before it is sent again; default 2 min. */
    sendReconcileMs: number;
  };
  auth: {
    adminToken: string;
    /** 32-byte key for AES-256-GCM encryption of channel access tokens at rest. */
    encryptionKey: Buffer;
    jwtSecret: string;
    /** Access token lifetime; default 900 s. */
    jwtTtlSeconds: number;
    /** Refresh token lifetime; default 30 days. */
    refreshTtlDays: number;
    /** Requests a minute per credential; default 1,200. */
    rateLimitPerMinute: number;
  };
  graphql: { maxDepth: number; maxComplexity: number; introspection: boolean };
  logLevel: string;
  shutdownTimeoutMs: number;
  /** BullMQ job lock: a crashed worker's job is taken over after about this long; default 30 s. */
  jobLockMs: number;
  /** Webhook deliveries of one group commit processed by one job (statuses applied together); default 50. */
  webhookDeliveriesPerJob: number;
  /** Set by `npm start` on a developer machine: seeds the demo organization. */
  localMode: boolean;
  /** Flows' HTTP nodes may call private and loopback addresses; default off (SSRF). */
  flowHttpAllowPrivate: boolean;
  /** Live feeds (graphql-ws subscriptions). */
  live: {
    /** WebSocket ping interval; a socket that misses a pong for as long is dropped; default 12 s. */
    keepAliveMs: number;
    /** Operations one socket may run at once; default 100. */
    maxSubscriptionsPerConnection: number;
    /** Open sockets per API key or session, per api process; default 200. */
    maxConnectionsPerKey: number;
    /** Unsent bytes a socket may hold before it is closed as a slow consumer (4008); default 4 MiB. */
    maxBufferedBytes: number;
    /** Deliveries one subscription may have waiting before its socket is closed (4008); default 1,000. */
    maxQueuedEvents: number;
    /** How often open sockets' credentials are checked again (revoked: closed with 4403); default 15 s. */
    reauthIntervalMs: number;
    /** Most events a resume (`after`) may replay; default 10,000. */
    replayLimit: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses and validates the environment once; every problem is reported at once. */
export function loadConfig(rawEnv: NodeJS.ProcessEnv = process.env): Config {
  // `PORT=` (e.g. compose's `${PORT}` when unset) means unset: the default, or "is required".
  // Coerced as it is, an empty PORT would silently become 0, a random port.
  const env = Object.fromEntries(Object.entries(rawEnv).filter(([, value]) => value !== '')) as NodeJS.ProcessEnv;
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.');
      const missing = issue.code === 'invalid_type' && env[name] === undefined;
      return missing ? `${name} is required` : `${name} ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  return {
    env: e.NODE_ENV,
    role: e.ROLE,
    http: { port: e.PORT, host: e.HOST, bodyLimitBytes: e.BODY_LIMIT_BYTES, corsOrigins: e.CORS_ORIGINS },
    database: { url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    meta: {
      appSecret: e.META_APP_SECRET,
      verifyToken: e.META_VERIFY_TOKEN,
      graphUrl: e.META_GRAPH_URL.replace(/\/+$/, ''),
      graphTimeoutMs: e.GRAPH_TIMEOUT_MS,
      sendReconcileMs: e.SEND_RECONCILE_MS,
    },
    auth: {
      adminToken: e.ADMIN_TOKEN,
      encryptionKey: Buffer.from(e.ENCRYPTION_KEY, 'hex'),
      jwtSecret: e.JWT_SECRET,
      jwtTtlSeconds: e.JWT_TTL_SECONDS,
      refreshTtlDays: e.REFRESH_TTL_DAYS,
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    },
    graphql: {
      maxDepth: e.MAX_QUERY_DEPTH,
      maxComplexity: e.MAX_QUERY_COMPLEXITY,
      introspection: e.INTROSPECTION ?? e.NODE_ENV !== 'production',
    },
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    jobLockMs: e.JOB_LOCK_MS,
    webhookDeliveriesPerJob: e.WEBHOOK_DELIVERIES_PER_JOB,
    localMode: e.LOCAL_MODE,
    flowHttpAllowPrivate: e.FLOW_HTTP_ALLOW_PRIVATE,
    live: {
      keepAliveMs: e.LIVE_KEEPALIVE_MS,
      maxSubscriptionsPerConnection: e.LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxConnectionsPerKey: e.LIVE_MAX_CONNECTIONS_PER_KEY,
      maxBufferedBytes: e.LIVE_MAX_BUFFERED_BYTES,
      maxQueuedEvents: e.LIVE_MAX_QUEUED_EVENTS,
      reauthIntervalMs: e.LIVE_REAUTH_INTERVAL_MS,
      replayLimit: e.LIVE_REPLAY_LIMIT,
    },
  };
}
