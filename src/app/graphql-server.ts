import type { Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express, { Router } from 'express';
import { specifiedRules, validate, type GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Config } from '../config/config';
import type { AppDeps, GraphQLContext } from '../auth/context';
import type { Authenticator } from '../auth/authenticator';
import type { Viewer } from '../auth/viewer';
import { anonymousEm, tenantEm } from '../db/entity-manager';
import { createLoaders } from '../resolvers/loaders';
import { AppError } from '../domain/errors';
import type { Metrics } from '../observability/metrics';
import { complexityPlugin } from '../schema/complexity.plugin';
import { depthLimitRule } from '../schema/depth-limit.rule';
import { formatError } from '../schema/format-error';
import { observabilityPlugin } from '../schema/observability.plugin';
import { graphqlAuth } from './graphql-auth.middleware';
import { rejectNul } from './reject-nul.middleware';
import type { RequestRateLimiter } from './rate-limit';

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

function contextFor(viewer: Viewer | null, deps: AppDeps, requestId: string, log: Logger): GraphQLContext {
  // A fresh EntityManager per operation, already scoped to the caller's organization.
  const em = viewer?.kind === 'member' ? tenantEm(deps.orm, viewer.organizationId) : anonymousEm(deps.orm);
  return { requestId, log, viewer, em, deps, loaders: createLoaders(em) };
}

/** Apollo over HTTP and graphql-ws over WebSocket, on the same path, schema, credentials and limits. */
export async function createGraphQLServer(options: GraphQLServerOptions) {
  const { httpServer, schema, config, deps, authenticator, log } = options;
  const validationRules = [depthLimitRule(config.graphql.maxDepth)];

  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH, maxPayload: 64 * 1024 });
  const wsCleanup = useServer<{ authorization?: unknown }, { viewer?: Viewer | null; requestId?: string }>(
    {
      schema,
      validate: (schema, document) => validate(schema, document, [...specifiedRules, ...validationRules]),
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        if (typeof authorization !== 'string' || !authorization) {
          ctx.extra.socket.close(4401, 'Unauthorized');
          return false;
        }
        try {
          ctx.extra.viewer = await authenticator.authenticate(authorization);
          return true;
        } catch (error) {
          if (error instanceof AppError) return false; // graphql-ws closes with 4403 Forbidden
          throw error;
        }
      },
      context: (ctx) => contextFor(ctx.extra.viewer ?? null, deps, `ws-${Math.random().toString(36).slice(2)}`, log),
    },
    wsServer,
  );

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
      { async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } },
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
