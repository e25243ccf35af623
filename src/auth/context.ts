import type { Logger } from 'pino';
import type { EntityManager } from '../db/entity-manager';
import type { Orm } from '../db/orm';
import type { JobQueues } from '../jobs/job-queues';
import type { JwtSigner } from './jwt';
import type { SecretBox } from './secret-box';
import type { Viewer } from './viewer';
import type { Loaders } from '../resolvers/loaders';
import type { EventBus } from '../pubsub/event-bus';
import type { GraphApiClient } from '../meta/graph-api.client';
import type { LiveDeps, LiveSocket } from '../services/live/live-deps';

/** Long-lived collaborators that resolvers hand to services. Built once in bootstrap. */
export interface AppDeps {
  orm: Orm;
  jwt: JwtSigner;
  secrets: SecretBox;
  refreshTtlDays: number;
  queues: JobQueues;
  events: EventBus;
  graph: GraphApiClient;
  /** Live feeds (subscriptions): present in processes that serve the api. */
  live?: LiveDeps;
}

/** Per request (HTTP) or per operation (WebSocket). */
export interface GraphQLContext {
  requestId: string;
  log: Logger;
  viewer: Viewer | null;
  /** Tenant-scoped to the viewer's organization; fails closed for anonymous callers. */
  em: EntityManager;
  deps: AppDeps;
  /** Batching loaders for list fields, per request. */
  loaders: Loaders;
  /** The WebSocket an operation runs on (graphql-ws only), so a live feed can close it. */
  socket?: LiveSocket;
}
