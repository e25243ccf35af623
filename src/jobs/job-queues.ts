import { Queue, QueueEvents, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { Logger } from 'pino';
import { QUEUE_DEFAULTS, QUEUE_NAMES, SCHEDULES, type JobData, type JobName, type QueueName } from './queues';

/** How long a forced close waits for BullMQ before giving up on an unreachable Redis. */
const FORCED_CLOSE_WAIT_MS = 1000;

/** Producer side of every queue. One instance per process. */
export class JobQueues {
  private readonly queues = new Map<QueueName, Queue>();
  private readonly events = new Map<QueueName, QueueEvents>();

  constructor(
    private readonly connection: ConnectionOptions,
    readonly prefix: string,
    private readonly log?: Logger,
  ) {
    for (const name of QUEUE_NAMES) {
      const queue = new Queue(name, { connection, prefix, defaultJobOptions: QUEUE_DEFAULTS[name].jobOptions });
      // Without a listener BullMQ prints connection errors to the console, bypassing our logs.
      queue.on('error', (error) => this.log?.warn({ queue: name, err: error.message }, 'queue connection error'));
      this.queues.set(name, queue);
    }
  }

  get(name: QueueName): Queue {
    return this.queues.get(name)!;
  }

  all(): Queue[] {
    return [...this.queues.values()];
  }

  add<Q extends QueueName, N extends JobName<Q>>(queue: Q, name: N, data: JobData<Q, N>, options?: JobsOptions) {
    return this.get(queue).add(name, data, options);
  }

  /** Completion events of a queue, opened on first use (each holds a blocking Redis connection). */
  async eventsOf(name: QueueName): Promise<QueueEvents> {
    let events = this.events.get(name);
    if (!events) {
      events = new QueueEvents(name, { connection: this.connection, prefix: this.prefix });
      this.events.set(name, events);
      await events.waitUntilReady();
    }
    return events;
  }

  /** Idempotent: a scheduler id is upserted, so every process may call this at start. */
  async registerSchedules(): Promise<void> {
    for (const schedule of SCHEDULES) {
      await this.get(schedule.queue).upsertJobScheduler(schedule.id, { every: schedule.every }, { name: schedule.name, data: {} });
    }
  }

  /**
   * Closes every queue connection. `force` disconnects without waiting: with Redis unreachable a
   * graceful close waits for commands that can never complete.
   */
  async close(force = false): Promise<void> {
    const closables = [...this.events.values(), ...this.all()];
    const closing = Promise.all(closables.map((closable) => (force ? closable.disconnect() : closable.close())));
    if (!force) return void (await closing);
    // Even a forced disconnect first waits for a connection that Redis, being away, never gives.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closing, new Promise((resolve) => (timer = setTimeout(resolve, FORCED_CLOSE_WAIT_MS)))]);
    clearTimeout(timer);
  }
}
