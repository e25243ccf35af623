import type { Logger } from 'pino';
import type { EntityManager } from '../../db/entity-manager';
import type { SubscriptionHub } from '../../pubsub/subscription-hub';
import type { MemberViewer } from '../scope';
import type { ShortLivedCache } from './short-lived-cache';

/** What the live feeds of an api process share; built in bootstrap (see config `live`). */
export interface LiveDeps {
  hub: SubscriptionHub;
  /** Per-event results shared by the process's subscribers (conversation snapshots, executions). */
  cache: ShortLivedCache;
  /** Deliveries that may wait for one subscription before its client counts as too slow; default 1,000. */
  maxQueuedEvents: number;
  /** Most events a resume (`after`) may replay; an older cursor is refused; default 10,000. */
  replayLimit: number;
}

/** The socket an operation runs on, so a feed can close it when its client cannot keep up. */
export interface LiveSocket {
  close(code: number, reason: string): void;
}

/** One subscription's view of the world: who subscribes, through which tenant-scoped EntityManager. */
export interface FeedScope {
  live: LiveDeps;
  em: EntityManager;
  viewer: MemberViewer;
  log: Logger;
  socket?: LiveSocket;
}

/** Close codes of live feeds, beside graphql-ws's own 44xx codes (all retryable by its client). */
export const LiveCloseCode = {
  /** Too many deliveries waited for this client: reconnect and resume with `after`. */
  SlowConsumer: 4008,
  /** This credential already holds the most connections allowed (standard "Try Again Later"). */
  TooManyConnections: 1013,
  /** Server shutdown (standard "Going Away"). */
  GoingAway: 1001,
} as const;

/** Called when a feed's queue overflows: close the socket, or end the stream when there is none. */
export function slowConsumer(scope: FeedScope): () => void {
  return () => {
    scope.log.warn({ organizationId: scope.viewer.organizationId }, 'closing a live feed socket: the client does not keep up');
    scope.socket?.close(LiveCloseCode.SlowConsumer, 'Slow consumer: too many undelivered events');
  };
}
