import type { Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express, { Router } from 'express';
import { GraphQLError, specifiedRules, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Config } from '../config/config';
import type { AppDeps, GraphQLContext } from '../auth/context';
import type { Authenticator } from '../auth/authenticator';
import type { Viewer } from '../auth/viewer';
import { anonymousEm, tenantEm, type EntityManager } from '../db/entity-manager';
import { createLoaders, type Loaders } from '../resolvers/loaders';
import { AppError } from '../domain/errors';
import type { Metrics } from '../observability/metrics';
import { complexityError, complexityPlugin } from '../schema/complexity.plugin';
import { depthLimitRule } from '../schema/depth-limit.rule';
import { formatError } from '../schema/format-error';
import { observabilityPlugin } from '../schema/observability.plugin';
import { graphqlAuth } from './graphql-auth.middleware';
import { rejectNul } from './reject-nul.middleware';
import type { RequestRateLimiter } from './rate-limit';
import { ConnectionGuard } from '../services/live/connection-guard';
import { DocumentCache } from '../services/live/document-cache';
import { FanoutExecutor } from '../services/live/fanout';
import { LiveLoaders } from '../services/live/live-loaders';
import { LiveCloseCode, type LiveSocket } from '../services/live/live-deps';

export const GRAPHQL_PATH = '/graphql';

interface GraphQLServerOptions {
  httpServer: Server;
  schema: GraphQLSchema;
  config: Config;
  deps: AppDeps;
  authenticator: Authenticator;
  rateLimiter: RequestRateLimiter;
  metrics: Metrics;
  log: Logger;
}

/**
 * A fresh EntityManager per operation, already scoped to the caller's organization, and loaders
 * over it; both made on first use. Over HTTP that is at once (Apollo copies the context). A
 * subscription's context lives as long as its socket and its results are executed with the shared
 * context of fanout.ts: made eagerly, 10,000 subscribers held 10,000 forks and 90,000 loaders that
 * nothing used, a fifth of api #1's heap.
 */
function contextFor(viewer: Viewer | null, deps: AppDeps, requestId: string, log: Logger, socket?: LiveSocket): GraphQLContext {
  let em: EntityManager | undefined;
  let loaders: Loaders | undefined;
  const context: GraphQLContext = {
    requestId,
    log,
    viewer,
    deps,
    get em() {
      return (em ??= viewer?.kind === 'member' ? tenantEm(deps.orm, viewer.organizationId) : anonymousEm(deps.orm));
    },
    get loaders() {
      return (loaders ??= createLoaders(context.em));
    },
  };
  if (socket) context.socket = socket;
  return context;
}

/** Apollo over HTTP and graphql-ws over WebSocket, on the same path, schema, credentials and limits. */
export async function createGraphQLServer(options: GraphQLServerOptions) {
  const { httpServer, schema, config, deps, authenticator, log } = options;
  const validationRules = [depthLimitRule(config.graphql.maxDepth)];

  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH, maxPayload: 64 * 1024 });
  const live = config.live;
  const documents = new DocumentCache(schema, [...specifiedRules, ...validationRules]);
  const guard = new ConnectionGuard({
    maxConnectionsPerKey: live.maxConnectionsPerKey,
    reauthIntervalMs: live.reauthIntervalMs,
    authenticateMany: (authorizations) => authenticator.authenticateMany(authorizations),
    log,
  });
  if (!deps.live) throw new Error('The GraphQL server needs the live feed dependencies (deps.live)');
  const liveLoaders = new LiveLoaders(deps.orm);
  const formatResult = (result: ExecutionResult) =>
    result.errors ? { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error)) } : result;
  const fanout = new FanoutExecutor({
    cache: deps.live.cache,
    formatResult,
    maxBufferedBytes: live.maxBufferedBytes,
    onSlowConsumer: (socket) => (socket as WebSocket).close(LiveCloseCode.SlowConsumer, 'Slow consumer: too many undelivered bytes'),
    beforeExecute: (root) => liveLoaders.primeFrom(root),
    // Like contextFor, with loaders that batch a tick's reads across organizations.
    contextFor: (viewer, requestId) => {
      const organizationId = viewer.kind === 'member' ? viewer.organizationId : '';
      // Forked on first use: most live fields read through the loaders, and a fork per organization and tick adds up.
      let em: GraphQLContext['em'] | undefined;
      const context: GraphQLContext = {
        requestId,
        log,
        viewer,
        get em() {
          return (em ??= tenantEm(deps.orm, organizationId));
        },
        deps,
        loaders: liveLoaders.forOrganization(organizationId),
      };
      return context;
    },
  });
  // A result shared by many sockets is formatted once.
  const formattedResults = new WeakMap<ExecutionResult, ReturnType<typeof formatResult>>();
  const withCode = (errors: readonly GraphQLError[], code: string) =>
    errors.map((error) => new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { code } }));

  const wsCleanup = useServer<{ authorization?: unknown }, { viewer?: Viewer | null; requestId?: string }>(
    {
      schema,
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        if (typeof authorization !== 'string' || !authorization) {
          ctx.extra.socket.close(4401, 'Unauthorized');
          return false;
        }
        try {
          ctx.extra.viewer = await authenticator.authenticate(authorization);
        } catch (error) {
          if (error instanceof AppError) return false; // graphql-ws closes with 4403 Forbidden
          throw error;
        }
        if (!ctx.extra.viewer || !guard.admit(ctx.extra.socket, authorization, ctx.extra.viewer)) {
          ctx.extra.socket.close(LiveCloseCode.TooManyConnections, 'Too many connections for this credential');
          return false;
        }
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        // ctx.subscriptions already holds this operation.
        if (Object.keys(ctx.subscriptions).length > live.maxSubscriptionsPerConnection) {
          const message = `At most ${live.maxSubscriptionsPerConnection} operations may run at once on one connection`;
          return [new GraphQLError(message, { extensions: { code: 'RATE_LIMITED' } })];
        }
        const checked = documents.get(payload.query);
        if ('syntaxError' in checked) return withCode([checked.syntaxError], 'GRAPHQL_PARSE_FAILED');
        if (checked.errors.length) return withCode(checked.errors, 'GRAPHQL_VALIDATION_FAILED');
        // The same cost ceiling as over HTTP: a socket is no way around it.
        const tooCostly = complexityError(schema, checked.document, payload.operationName, payload.variables, config.graphql.maxComplexity);
        if (tooCostly) return [tooCostly];
        const args = {
          schema,
          document: checked.document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: contextFor(ctx.extra.viewer ?? null, deps, `ws-${Math.random().toString(36).slice(2)}`, log, ctx.extra.socket),
        };
        const refused = await fanout.prepare(args, { id, socket: ctx.extra.socket, transport: ctx.extra.request.socket });
        // Errors of our own carry their original (AppError); the rest are about the variables.
        if (refused) return refused.map((error) => (error.originalError ? error : withCode([error], 'BAD_USER_INPUT')[0]!));
        return args;
      },
      subscribe: fanout.subscribe,
      onNext: (ctx, _id, _payload, _args, result) => {
        // Results graphql-ws sends itself (live feeds write theirs: DirectStream). It awaits each
        // send, so unsent bytes pile up only across operations; past the bound the socket goes.
        if (ctx.extra.socket.bufferedAmount > live.maxBufferedBytes) {
          ctx.extra.socket.close(LiveCloseCode.SlowConsumer, 'Slow consumer: too many undelivered bytes');
        }
        if (!result.errors) return undefined;
        let formatted = formattedResults.get(result);
        if (!formatted) formattedResults.set(result, (formatted = formatResult(result)));
        return formatted as ExecutionResult;
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => formatError(error.toJSON(), error)),
      onClose: (ctx) => guard.release(ctx.extra.socket),
    },
    wsServer,
    live.keepAliveMs,
  );
  guard.start();

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    formatError,
    validationRules,
    introspection: config.graphql.introspection,
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM/SIGINT. Apollo's own handler (on unless NODE_ENV=test) re-raises the
    // signal after stopping, which killed the process (exit 143) before our drain finished.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              guard.stop();
              await wsCleanup.dispose(); // closes every socket with 1001 Going Away
            },
          };
        },
      },
      ApolloServerPluginCacheControlDisabled(),
      ...(config.env === 'production' ? [ApolloServerPluginLandingPageDisabled()] : []),
      complexityPlugin(schema, config.graphql.maxComplexity),
      observabilityPlugin(options.metrics, log),
    ],
  });
  await apollo.start();

  const router = Router();
  router.use(
    GRAPHQL_PATH,
    cors({ origin: config.http.corsOrigins.length ? config.http.corsOrigins : false, maxAge: 600 }),
    express.json({ limit: config.http.bodyLimitBytes }),
    rejectNul(),
    graphqlAuth(authenticator, options.rateLimiter),
    expressMiddleware(apollo, { context: async ({ req }) => contextFor(req.viewer ?? null, deps, req.id, req.log) }),
  );

  return {
    router,
    /** Closes WebSockets and waits for in-flight HTTP operations (via the drain plugins). */
    stop: () => apollo.stop(),
    wsServer,
  };
}
