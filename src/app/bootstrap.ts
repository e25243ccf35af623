import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Logger } from 'pino';
import type IORedis from 'ioredis';
import type { Config } from '../config/config';
import type { AppDeps } from '../auth/context';
import { Authenticator } from '../auth/authenticator';
import { JwtSigner } from '../auth/jwt';
import { SecretBox } from '../auth/secret-box';
import { initOrm, migrate, type Orm } from '../db/orm';
import { JobQueues } from '../jobs/job-queues';
import { startWorkers, type RunningWorkers } from '../jobs/workers';
import { createLogger } from '../observability/logger';
import { Metrics } from '../observability/metrics';
import { buildAppSchema } from '../schema/build-schema';
import { boardRoutes } from './board.routes';
import { errorHandler } from './error.middleware';
import { createGraphQLServer } from './graphql-server';
import { healthRoutes } from './health.routes';
import { metricsRoutes } from './metrics.routes';
import { RequestRateLimiter } from './rate-limit';
import { bullConnection, createRedis } from './redis';
import { closeRedis } from '../pubsub/close-redis';
import { EventBus } from '../pubsub/event-bus';
import { EventSequencer } from '../pubsub/event-sequencer';
import { SubscriptionHub } from '../pubsub/subscription-hub';
import { ShortLivedCache } from '../services/live/short-lived-cache';
import { GraphApiClient } from '../meta/graph-api.client';
import { InboundMessageCommitter } from '../services/inbound/message-committer';
import { InlineSender } from '../services/outbound/inline-sender';
import { SendGovernor } from '../services/outbound/send-governor';
import { DeliveryInbox } from '../services/delivery-inbox';
import { metaWebhookListener } from '../webhook/meta-webhook.listener';
import { metaWebhookRoutes } from '../webhook/meta-webhook.routes';
import { requestContext } from './request-context.middleware';
import { transcriptExportRoutes } from './transcript-export.routes';

export interface BootstrapOptions {
  logger?: Logger;
  /** Apply pending migrations first (default true). */
  migrate?: boolean;
}

/** Handles to a running app, for main.ts and for tests that start the real thing. */
export interface App {
  config: Config;
  url: string;
  httpServer: Server;
  orm: Orm;
  redis: IORedis;
  queues: JobQueues;
  metrics: Metrics;
  log: Logger;
  deps: AppDeps;
  /** Graceful: stop accepting, finish in-flight requests and jobs, close sockets and connections. */
  close(): Promise<void>;
}

export async function bootstrap(config: Config, options: BootstrapOptions = {}): Promise<App> {
  const log = options.logger ?? createLogger(config.logLevel);
  const orm = await initOrm({
    url: config.database.url,
    poolMax: config.database.poolMax,
    logger: (message) => log.debug({ source: 'mikro-orm' }, message),
  });
  const cleanups: (() => Promise<unknown>)[] = [() => orm.close()];
  try {
    if (options.migrate !== false) {
      const applied = await migrate(orm);
      if (applied.length) log.info({ applied }, 'migrations applied');
    }
    const redis = createRedis(config.redis.url, 'app');
    cleanups.unshift(() => closeRedis(redis));
    redis.on('error', (error) => log.warn({ err: error.message }, 'redis connection error'));

    const metrics = new Metrics();
    // Hash-tagged so every key of ours lands in one Redis Cluster slot (BullMQ's Lua scripts need it).
    const queues = new JobQueues(bullConnection(config.redis.url), `{${config.redis.prefix}}`, log);
    cleanups.unshift(() => queues.close(redis.status !== 'ready'));
    const sequencer = new EventSequencer(orm.em, redis, config.redis.prefix, log);
    cleanups.unshift(() => sequencer.close());
    const events = new EventBus(redis, config.redis.prefix, log, sequencer);
    const deps: AppDeps = {
      orm,
      jwt: new JwtSigner(config.auth.jwtSecret, config.auth.jwtTtlSeconds),
      secrets: new SecretBox(config.auth.encryptionKey),
      refreshTtlDays: config.auth.refreshTtlDays,
      queues,
      events,
      graph: new GraphApiClient({ baseUrl: config.meta.graphUrl, timeoutMs: config.meta.graphTimeoutMs }),
    };

    if (config.role !== 'worker') {
      // Live feeds: one Redis subscriber connection for the whole process (see SubscriptionHub).
      const hub = new SubscriptionHub(createRedis(config.redis.url, `${config.redis.prefix}:live`), config.redis.prefix, log);
      const cache = new ShortLivedCache();
      deps.live = { hub, cache, maxQueuedEvents: config.live.maxQueuedEvents, replayLimit: config.live.replayLimit };
      cleanups.unshift(async () => {
        cache.close();
        await hub.close();
      });
    }

    let workers: RunningWorkers | null = null;
    if (config.role !== 'api') {
      const sendDeps = { ...deps, log, governor: new SendGovernor(redis, queues.prefix), reconcileMs: config.meta.sendReconcileMs };
      const inline = new InlineSender(sendDeps);
      const jobDeps = {
        ...sendDeps,
        allowPrivateFlowHttp: config.flowHttpAllowPrivate,
        messages: new InboundMessageCommitter({ ...deps, log, metrics, inline }),
      };
      workers = startWorkers(bullConnection(config.redis.url), queues.prefix, jobDeps, metrics, { lockDurationMs: config.jobLockMs });
      // With Redis unreachable a graceful close would wait forever (see RunningWorkers.close).
      cleanups.unshift(async () => {
        await workers!.close(redis.status !== 'ready');
        // The bot replies being sent from here finish too: a request is bounded by the Graph API timeout.
        await inline.idle(redis.status === 'ready' ? config.meta.graphTimeoutMs + 1_000 : 0);
      });
      await queues.registerSchedules();
      // A Redis that restarted empty lost the schedules (the sweepers among them): register them again.
      redis.on('ready', () => {
        queues.registerSchedules().catch((error: unknown) => log.warn({ err: error }, 'could not register job schedules'));
      });
    }

    let shuttingDown = false;
    const app = express();
    app.disable('x-powered-by');
    app.set('trust proxy', 'loopback');
    // Meta's deliveries take a lean path ahead of Express (see meta-webhook.listener.ts).
    const webhook = config.role === 'worker' ? null : { appSecret: config.meta.appSecret, inbox: new DeliveryInbox(orm, queues, log, { deliveriesPerJob: config.webhookDeliveriesPerJob }), log, metrics };
    const httpServer = createServer(webhook ? metaWebhookListener(webhook, app) : app);
    app.use(requestContext(log, metrics));
    app.use(healthRoutes(orm, redis, () => shuttingDown));
    app.use(metricsRoutes(metrics, queues));

    let graphql: Awaited<ReturnType<typeof createGraphQLServer>> | null = null;
    if (config.role !== 'worker') {
      // One authenticator and one rate limit for every authenticated route (/graphql and the transcript export).
      const authenticator = new Authenticator(orm, deps.jwt, config.auth.adminToken);
      const rateLimiter = new RequestRateLimiter(redis, `${config.redis.prefix}:rate`, config.auth.rateLimitPerMinute);
      graphql = await createGraphQLServer({ httpServer, schema: await buildAppSchema(), config, deps, authenticator, rateLimiter, metrics, log });
      app.use(metaWebhookRoutes({ verifyToken: config.meta.verifyToken }));
      app.use(graphql.router);
      app.use(transcriptExportRoutes({ orm, authenticator, rateLimiter }));
      app.use(boardRoutes(queues, config.auth.adminToken));
    }
    app.use((_req, res) => {
      res.status(404).json({ errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }] });
    });
    app.use(errorHandler());

    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.http.port, config.http.host, () => resolve());
    });
    const { port } = httpServer.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;
    log.info({ url, role: config.role }, 'listening');

    let closing: Promise<void> | null = null;
    const close = () =>
      (closing ??= (async () => {
        shuttingDown = true;
        if (graphql) await graphql.stop(); // stops accepting, drains HTTP, closes WebSockets
        else await new Promise<void>((resolve) => httpServer.close(() => resolve()));
        for (const cleanup of cleanups) await cleanup();
        log.info('stopped');
      })());

    return { config, url, httpServer, orm, redis, queues, metrics, log, deps, close };
  } catch (error) {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    throw error;
  }
}
