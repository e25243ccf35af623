import type IORedis from 'ioredis';
import type { Logger } from 'pino';
import { organizationTopic, type DomainEvent } from './domain-event';

/**
 * Publishes domain events through Redis pub/sub, after the database commit that recorded them,
 * so every api process (and its subscribers) hears them. Publishing is best effort: the
 * conversation event log stays the source of truth and live feeds resume from it.
 */
export class EventBus {
  constructor(
    private readonly redis: IORedis,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  async publish(events: DomainEvent[]): Promise<void> {
    if (!events.length) return;
    try {
      const pipeline = this.redis.pipeline();
      for (const event of events) pipeline.publish(organizationTopic(this.prefix, event.organizationId), JSON.stringify(event));
      await pipeline.exec();
    } catch (error) {
      this.log.warn({ err: error, count: events.length }, 'could not publish domain events');
    }
  }
}
