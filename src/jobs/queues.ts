import type { JobsOptions } from 'bullmq';
import { MAX_SEND_ATTEMPTS } from '../domain/retry-policy';

/**
 * Every queue, its job payloads and its defaults, in one table. Payloads carry ids and small
 * values only; handlers re-read state, so a rerun is harmless. `requestId` ties a job's logs to
 * the request that caused it.
 */
export interface JobPayloads {
  system: { probe: { delayMs: number; requestId?: string } };
  outbound: {
    'send-message': { messageId: string; requestId?: string };
    'mark-read': { messageId: string; requestId?: string };
    'submit-template': { templateId: string; requestId?: string };
    'sync-templates': { channelId: string; requestId?: string };
    'delete-template': { templateId: string; requestId?: string };
    /** A flow's HTTP node: the request the engine described, performed with its timeout. */
    'flow-http': {
      conversationId: string;
      nodeId: string;
      request: { method: string; url: string; headers: Record<string, string>; body: unknown; timeoutMs: number };
      requestId?: string;
    };
  };
  webhook: {
    'process-delivery': {
      deliveryId: string;
      /** Deliveries committed in the same group commit as `deliveryId`, processed by the same job. */
      batchedWith?: string[];
      /** Replays process even a processed delivery again. */
      replay?: boolean;
      requestId?: string;
    };
  };
  maintenance: {
    'purge-expired-sessions': { requestId?: string };
    'sweep-deliveries': { requestId?: string };
    'sweep-outbound': { requestId?: string };
    'sync-all-templates': { requestId?: string };
    'expire-bot-sessions': { requestId?: string };
    'warn-closing-windows': { requestId?: string };
  };
  analytics: {
    /** Applies new conversation events to the rollups (repeatable). */
    'refresh-analytics': { requestId?: string };
    /** Rebuilds one organization's rollups for [from, to) (the rebuildAnalytics mutation); progress on the board. */
    'rebuild-analytics': { organizationId: string; from: string; to: string; requestId?: string };
  };
}

export type QueueName = keyof JobPayloads;
export type JobName<Q extends QueueName> = keyof JobPayloads[Q] & string;
export type JobData<Q extends QueueName, N extends JobName<Q>> = JobPayloads[Q][N];

/** What a probe job returns. */
export type ProbeResult = { processedBy: string; startedAt: string; finishedAt: string };

export const MAX_PROBE_DELAY_MS = 60_000;

export interface QueueDefaults {
  /** Jobs one worker process runs at once. */
  concurrency: number;
  /** BullMQ options for every job added to the queue. */
  jobOptions: JobsOptions;
}

export const QUEUE_DEFAULTS: Record<QueueName, QueueDefaults> = {
  system: {
    concurrency: 4,
    jobOptions: { attempts: 1, removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: { age: 86_400 } },
  },
  outbound: {
    // Sends wait on I/O (the Graph API), and per-conversation order is kept by the handler itself.
    concurrency: 32,
    jobOptions: {
      attempts: MAX_SEND_ATTEMPTS,
      // 'meta' is our strategy (see jobs/workers.ts): Meta's minimum wait for the error, or exponential with jitter.
      backoff: { type: 'meta' },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 7 * 86_400 },
    },
  },
  webhook: {
    // Items commit one by one and idempotently, so parallel deliveries are safe.
    concurrency: 16,
    jobOptions: {
      attempts: 10,
      backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 7 * 86_400 },
    },
  },
  maintenance: {
    concurrency: 1,
    jobOptions: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 5_000, jitter: 0.5 },
      removeOnComplete: { age: 86_400, count: 1000 },
      removeOnFail: { age: 7 * 86_400 },
    },
  },
  analytics: {
    // One at a time: the refresher serialises on its state row anyway, and a rebuild is long, steady work.
    concurrency: 1,
    jobOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 5_000, jitter: 0.5 },
      removeOnComplete: { age: 86_400, count: 1000 },
      removeOnFail: { age: 7 * 86_400 },
    },
  },
};

export const QUEUE_NAMES = Object.keys(QUEUE_DEFAULTS) as QueueName[];

/** Repeatable jobs, registered idempotently by scheduler id at start. */
export const SCHEDULES = [
  { id: 'purge-expired-sessions', queue: 'maintenance', name: 'purge-expired-sessions', every: 3_600_000 },
  { id: 'sweep-deliveries', queue: 'maintenance', name: 'sweep-deliveries', every: 30_000 },
  { id: 'sweep-outbound', queue: 'maintenance', name: 'sweep-outbound', every: 60_000 },
  { id: 'sync-all-templates', queue: 'maintenance', name: 'sync-all-templates', every: 86_400_000 },
  { id: 'expire-bot-sessions', queue: 'maintenance', name: 'expire-bot-sessions', every: 60_000 },
  { id: 'warn-closing-windows', queue: 'maintenance', name: 'warn-closing-windows', every: 60_000 },
  // Reports read rollups up to the refresher's mark and raw rows after it: never staler than this.
  { id: 'refresh-analytics', queue: 'analytics', name: 'refresh-analytics', every: 15_000 },
] as const satisfies readonly { id: string; queue: QueueName; name: string; every: number }[];
