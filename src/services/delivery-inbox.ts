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
const MAX_CONCURRENT_FLUSHES = Number(process.env.INBOX_FLUSHES_EXPERIMENT ?? 1);

/**
 * The durable inbox with group commit. A delivery is answered only after the INSERT that holds it
 * has committed. While one INSERT is in flight, newly arriving deliveries wait and then share the
 * next multi-row INSERT and its single commit: no timer, so a lone delivery is written at once and
 * a burst is written in a few commits instead of one each.
 */
export class DeliveryInbox {
  private queue: Pending[] = [];
  private flushers = 0;

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
      if (this.flushers < MAX_CONCURRENT_FLUSHES) void this.drain();
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
    this.flushers += 1;
    try {
      while (this.queue.length) {
        const batch = this.takeBatch();
        try {
          await this.insert(batch);
        } catch (error) {
          for (const item of batch) item.reject(error);
          continue;
        }
        if (process.env.INBOX_PIPELINE_EXPERIMENT === '1') {
          void this.enqueue(batch).then(() => batch.forEach((item) => item.resolve()));
          continue;
        }
        await this.enqueue(batch);
        for (const item of batch) item.resolve();
      }
    } finally {
      this.flushers -= 1;
    }
  }

  private async insert(batch: Pending[]): Promise<void> {
    const rows = batch.map(() => `(?, ?, ?, '${DeliveryStatus.RECEIVED}', 0)`).join(', ');
    const params = batch.flatMap((item) => [item.id, item.rawBody, item.receivedAt]);
    await this.orm.em
      .getConnection()
      .execute(`insert into webhook_delivery (id, raw_body, received_at, status, attempts) values ${rows}`, params, 'run');
  }

  /** Best effort: a delivery that is stored but not enqueued is re-driven by the sweeper. */
  private async enqueue(batch: Pending[]): Promise<void> {
    try {
      await this.queues.get('webhook').addBulk(
        batch.map((item) => ({ name: 'process-delivery', data: { deliveryId: item.id }, opts: { jobId: item.id } })),
      );
    } catch (error) {
      this.log.warn({ err: error, count: batch.length }, 'stored deliveries could not be enqueued; the sweeper will re-drive them');
    }
  }
}
