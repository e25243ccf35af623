import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Orm } from '../db/orm';
import type { JobQueues } from '../jobs/job-queues';

interface Pending {
  id: string;
  rawBody: string;
  resolve: (id: string) => void;
  reject: (error: unknown) => void;
}

/** Deliveries per processing job unless told otherwise. */
export const DEFAULT_DELIVERIES_PER_JOB = 50;

/** Group commits in flight at once unless told otherwise. */
const DEFAULT_CONCURRENT_FLUSHES = 2;

export interface DeliveryInboxOptions {
  /**
   * Group commits in flight at once (default DEFAULT_CONCURRENT_FLUSHES). The first takes whatever
   * waits; another starts only with a full batch (maxBatchRows), in a burst that one flush at a
   * time would fall behind. Starting it with less would split the deliveries that arrive during a
   * commit into more, smaller commits: on the 2-core machine that cost about 10% of ingest
   * (bench:webhook, 4.8 instead of 6 deliveries per commit), and a commit is fast enough that waiting
   * for it costs little latency.
   */
  maxConcurrentFlushes?: number;
  /** Rows in one INSERT (default 200). */
  maxBatchRows?: number;
  /**
   * Deliveries per processing job (default 50, WEBHOOK_DELIVERIES_PER_JOB). Up to that many
   * deliveries of a commit go into one job, which the worker processes as a batch
   * (process-delivery.service.ts: the statuses of the whole batch in one transaction). BullMQ runs
   * a Redis script per job and the api adds each one: on the 2-core machine a job per delivery held
   * bench:webhook at 0.42x the raw INSERT rate. With 1 every delivery is its own job: a burst
   * spreads over every worker process and a retry concerns one delivery. Only the first delivery
   * of a job is its key, so the sweeper may enqueue the others of a job still waiting after
   * SWEEP_AFTER_MS once more (harmless: processing is idempotent).
   */
  deliveriesPerJob?: number;
}

/** Bounds one group commit in bytes too: Meta sends up to 3 MB per delivery. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024;
/**
 * How long an answer waits for Redis to take the jobs. The queue connection retries forever
 * (BullMQ needs that), so with Redis down `add` never settles; past this wait the durable
 * deliveries are answered anyway, the add still lands when Redis returns, and the sweeper covers the rest.
 */
const ENQUEUE_WAIT_MS = 500;

/** A pg client, borrowed from the ORM's pool. */
interface PooledConnection {
  query(config: { name: string; text: string; values: string[] }): Promise<unknown>;
}

/**
 * The durable inbox with group commit. A delivery is answered only after the INSERT that holds it
 * has committed. Deliveries that arrive while the flushes in flight are busy wait and then share
 * the next multi-row INSERT and its single commit: no timer, so a lone delivery is written at once
 * and a burst is written in a few commits instead of one each. Committed deliveries are enqueued
 * the same way: every batch that committed while the previous Redis call was in flight shares the
 * next one.
 */
export class DeliveryInbox {
  private waiting: Pending[] = [];
  private flushScheduled = false;
  private flushing = 0;
  /** Committed, waiting for their job to be enqueued before they are answered. */
  private committed: Pending[] = [];
  private enqueueing = false;
  private readonly maxConcurrentFlushes: number;
  private readonly maxBatchRows: number;
  private readonly deliveriesPerJob: number;
  private pool: { acquireConnection(): Promise<unknown>; releaseConnection(connection: unknown): Promise<void> } | undefined;
  /** Statement text by row count; each is prepared once per connection under its own name. */
  private readonly statements: string[] = [];

  constructor(
    private readonly orm: Orm,
    private readonly queues: JobQueues,
    private readonly log: Logger,
    options: DeliveryInboxOptions = {},
  ) {
    this.maxConcurrentFlushes = options.maxConcurrentFlushes ?? DEFAULT_CONCURRENT_FLUSHES;
    this.maxBatchRows = options.maxBatchRows ?? 200;
    this.deliveriesPerJob = options.deliveriesPerJob ?? DEFAULT_DELIVERIES_PER_JOB;
  }

  /** Resolves with the delivery id once it is durable; rejects when PostgreSQL refused it. */
  accept(rawBody: string): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.waiting.push({ id: randomUUID(), rawBody, resolve, reject });
      if (!this.flushScheduled) {
        // Every delivery read in this turn of the event loop joins the batch, rather than the first
        // one taking a free slot alone: under load a turn reads many sockets, and waiting costs nothing.
        this.flushScheduled = true;
        setImmediate(this.scheduledFlush);
      }
    });
  }

  private readonly scheduledFlush = () => {
    this.flushScheduled = false;
    this.startFlushes();
  };

  private startFlushes(): void {
    while (this.waiting.length && (this.flushing === 0 || (this.flushing < this.maxConcurrentFlushes && this.waiting.length >= this.maxBatchRows))) {
      void this.flush(this.takeBatch());
    }
  }

  private takeBatch(): Pending[] {
    let bytes = 0;
    let count = 0;
    while (count < this.waiting.length && count < this.maxBatchRows) {
      bytes += this.waiting[count]!.rawBody.length;
      if (count > 0 && bytes > MAX_BATCH_BYTES) break;
      count += 1;
    }
    return this.waiting.splice(0, count);
  }

  private async flush(batch: Pending[]): Promise<void> {
    this.flushing += 1;
    try {
      await this.insert(batch);
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    } finally {
      // The next batch starts as soon as this one has committed, while this one is enqueued.
      this.flushing -= 1;
      this.startFlushes();
    }
    for (const item of batch) this.committed.push(item);
    if (!this.enqueueing) void this.enqueueCommitted();
  }

  /**
   * Enqueues committed deliveries and answers them. Like the INSERTs, one Redis call serves every
   * batch that committed while the previous call was in flight: the call costs more CPU than the
   * INSERT, and it would otherwise be paid once per (often small) batch.
   */
  private async enqueueCommitted(): Promise<void> {
    this.enqueueing = true;
    try {
      // Batches that commit in the same turn of the event loop share the call.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.committed.length) {
        const ready = this.committed.splice(0);
        await this.enqueue(ready.map((item) => item.id));
        for (const item of ready) item.resolve(item.id);
      }
    } finally {
      this.enqueueing = false;
    }
  }

  /**
   * One prepared multi-row INSERT, on a connection taken straight from the ORM's pool: this is the
   * hottest statement of the service, and the query builder's per-call work cost more than the
   * INSERT itself. Every value is bound. Status and attempts take their column defaults
   * (RECEIVED, 0); the batch shares its transaction's time as the arrival time.
   */
  private async insert(batch: Pending[]): Promise<void> {
    const values: string[] = [];
    for (const item of batch) values.push(item.id, item.rawBody);
    const client = (this.pool ??= this.orm.em.getConnection().getKnex().client);
    const connection = (await client.acquireConnection()) as PooledConnection;
    try {
      await connection.query({ name: `webhook-inbox-insert-${batch.length}`, text: this.statement(batch.length), values });
    } finally {
      await client.releaseConnection(connection);
    }
  }

  private statement(rows: number): string {
    let text = this.statements[rows];
    if (!text) {
      const tuples = Array.from({ length: rows }, (_, i) => `($${2 * i + 1}, $${2 * i + 2}, now())`);
      text = this.statements[rows] = `insert into webhook_delivery (id, raw_body, received_at) values ${tuples.join(', ')}`;
    }
    return text;
  }

  /**
   * All the jobs in one Redis call, each keyed by its first delivery (the sweeper keys its jobs the
   * same way, so it does not enqueue a waiting delivery twice). Best effort, never rejects: a
   * delivery that is stored but not enqueued is re-driven by the sweeper.
   */
  private async enqueue(ids: string[]): Promise<void> {
    const jobs = [];
    for (let start = 0; start < ids.length; start += this.deliveriesPerJob) {
      const [first, ...rest] = ids.slice(start, start + this.deliveriesPerJob) as [string, ...string[]];
      jobs.push({ name: 'process-delivery' as const, data: rest.length ? { deliveryId: first, batchedWith: rest } : { deliveryId: first }, opts: { jobId: first } });
    }
    const queue = this.queues.get('webhook');
    const added = jobs.length === 1 ? queue.add(jobs[0]!.name, jobs[0]!.data, jobs[0]!.opts) : queue.addBulk(jobs);
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not take the jobs within ${ENQUEUE_WAIT_MS} ms`)), ENQUEUE_WAIT_MS);
    });
    try {
      await Promise.race([added, waited]);
    } catch (error) {
      this.log.warn({ err: error, count: ids.length }, 'stored deliveries could not be enqueued yet; the sweeper will re-drive them');
      // The add may still fail later (or succeed when Redis returns): either way nothing more to do.
      added.catch(() => undefined);
    } finally {
      clearTimeout(timer);
    }
  }
}
