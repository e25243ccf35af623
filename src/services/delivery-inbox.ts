import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Orm } from '../db/orm';
import type { JobQueues } from '../jobs/job-queues';
import { DeliveryStatus } from '../entities/webhook-delivery.entity';

interface Pending {
  id: string;
  rawBody: string;
  receivedAt: Date;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Bounds one group commit: rows, and bytes (Meta sends up to 3 MB per delivery). */
const MAX_BATCH_ROWS = 200;
const MAX_BATCH_BYTES = 16 * 1024 * 1024;
/**
 * How long an answer waits for Redis to take the batch's jobs. The queue connection retries forever
 * (BullMQ needs that), so with Redis down `addBulk` never settles; past this wait the durable
 * delivery is answered anyway, the add still lands when Redis returns, and the sweeper covers the rest.
 */
const ENQUEUE_WAIT_MS = 500;

/**
 * The durable inbox with group commit. A delivery is answered only after the INSERT that holds it
 * has committed. While one INSERT is in flight, newly arriving deliveries wait and then share the
 * next multi-row INSERT and its single commit: no timer, so a lone delivery is written at once and
 * a burst is written in a few commits instead of one each. A committed batch is enqueued and
 * answered while the next batch's INSERT runs, so Redis round trips do not hold up commits.
 */
export class DeliveryInbox {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(
    private readonly orm: Orm,
    private readonly queues: JobQueues,
    private readonly log: Logger,
  ) {}

  /** Resolves with the delivery id once it is durable; rejects when PostgreSQL refused it. */
  accept(rawBody: string): Promise<string> {
    const id = randomUUID();
    return new Promise<string>((resolve, reject) => {
      this.queue.push({ id, rawBody, receivedAt: new Date(), resolve: () => resolve(id), reject });
      if (!this.flushing) void this.drain();
    });
  }

  private takeBatch(): Pending[] {
    let bytes = 0;
    let count = 0;
    while (count < this.queue.length && count < MAX_BATCH_ROWS) {
      bytes += this.queue[count]!.rawBody.length;
      if (count > 0 && bytes > MAX_BATCH_BYTES) break;
      count += 1;
    }
    return this.queue.splice(0, count);
  }

  private async drain(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length) {
        const batch = this.takeBatch();
        try {
          await this.insert(batch);
        } catch (error) {
          for (const item of batch) item.reject(error);
          continue;
        }
        void this.enqueue(batch).then(() => {
          for (const item of batch) item.resolve();
        });
      }
    } finally {
      this.flushing = false;
    }
  }

  private async insert(batch: Pending[]): Promise<void> {
    const rows = batch.map(() => `(?, ?, ?, '${DeliveryStatus.RECEIVED}', 0)`).join(', ');
    const params = batch.flatMap((item) => [item.id, item.rawBody, item.receivedAt]);
    await this.orm.em
      .getConnection()
      .execute(`insert into webhook_delivery (id, raw_body, received_at, status, attempts) values ${rows}`, params, 'run');
  }

  /** Best effort, never rejects: a delivery that is stored but not enqueued is re-driven by the sweeper. */
  private async enqueue(batch: Pending[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const added = this.queues
      .get('webhook')
      .addBulk(batch.map((item) => ({ name: 'process-delivery', data: { deliveryId: item.id }, opts: { jobId: item.id } })));
    const waited = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not take the jobs within ${ENQUEUE_WAIT_MS} ms`)), ENQUEUE_WAIT_MS);
    });
    try {
      await Promise.race([added, waited]);
    } catch (error) {
      this.log.warn({ err: error, count: batch.length }, 'stored deliveries could not be enqueued yet; the sweeper will re-drive them');
      // The add may still fail later (or succeed when Redis returns): either way nothing more to do.
      added.catch(() => undefined);
    } finally {
      clearTimeout(timer);
    }
  }
}
