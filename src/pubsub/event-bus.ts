import type IORedis from 'ioredis';
import type { Logger } from 'pino';
import { organizationTopic, type DomainEvent } from './domain-event';
import type { EventSequencer } from './event-sequencer';

/**
 * Publishes domain events through Redis pub/sub, after the database commit that recorded them,
 * so every api process (and its subscribers) hears them. Publishing is best effort: the
 * conversation event log stays the source of truth and live feeds resume from it.
 *
 * Conversation events are not published from here: they are in the log already, and the
 * EventSequencer publishes them from it in commit order, with the cursor that order gives them.
 * Handing them to `publish` tells it they are committed, so it relays them at once.
 */
export class EventBus {
  constructor(
    private readonly redis: IORedis,
    private readonly prefix: string,
    private readonly log: Logger,
    private readonly sequencer: EventSequencer,
  ) {}

  async publish(events: DomainEvent[]): Promise<void> {
    const direct = events.filter((event) => event.kind !== 'conversation');
    if (direct.length < events.length) this.sequencer.kick();
    if (!direct.length) return;
    try {
      const pipeline = this.redis.pipeline();
      for (const event of direct) pipeline.publish(organizationTopic(this.prefix, event.organizationId), JSON.stringify(event));
      await pipeline.exec();
    } catch (error) {
      this.log.warn({ err: error, count: direct.length }, 'could not publish domain events');
    }
  }

  /** Resolves once the conversation events handed over so far are published (tests, shutdown). */
  settled(): Promise<void> {
    return this.sequencer.idle();
  }

  /**
   * Sequences and publishes every committed event now rather than at the next poll: for code that
   * wrote events without publishing them (test fixtures, seeders), before reading by seq.
   */
  sequenceNow(): Promise<void> {
    this.sequencer.kick();
    return this.sequencer.idle();
  }
}
