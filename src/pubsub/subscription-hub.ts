import { closeRedis } from './close-redis';
import type IORedis from 'ioredis';
import type { Logger } from 'pino';
import { organizationTopic, type DomainEvent } from './domain-event';

/** One event as the hub hands it to listeners: parsed once, shared by every listener (treat as read-only). */
export interface HubEvent {
  /** Unique within this process: identifies the event for result caches (template and channel events have no cursor). */
  seq: number;
  event: DomainEvent;
}

export interface HubListener {
  next(event: HubEvent): void;
  /**
   * The Redis connection dropped and came back: messages published meanwhile were lost (Redis
   * pub/sub is at most once). Feeds that can, catch up from their log.
   */
  gap?(): void;
}

/** Listeners of one organization: everything, or one conversation's events only. */
interface Topic {
  everything: Set<HubListener>;
  byConversation: Map<string, Set<HubListener>>;
  size: number;
  /** Settles when Redis confirmed the SUBSCRIBE. */
  subscribed: Promise<unknown>;
}

/** How long a listen waits for Redis to confirm a subscription before failing. */
const SUBSCRIBE_TIMEOUT_MS = 5_000;

/**
 * The process's single Redis subscriber connection for live feeds. Each organization topic is
 * subscribed once, while at least one local listener wants it (reference counted), and every
 * message is parsed once and handed to the organization's listeners only: an event never touches
 * another organization's subscribers, and conversation-scoped listeners only see their conversation.
 */
export class SubscriptionHub {
  private readonly topics = new Map<string, Topic>();
  private readonly topicPrefix: string;
  private seq = 0;
  private wasReady = false;
  private closed = false;

  constructor(
    private readonly redis: IORedis,
    prefix: string,
    private readonly log: Logger,
  ) {
    this.topicPrefix = organizationTopic(prefix, '');
    redis.on('message', (channel: string, message: string) => this.dispatch(channel, message));
    redis.on('error', (error: Error) => log.warn({ err: error.message }, 'live feed redis connection error'));
    redis.on('ready', () => {
      if (this.wasReady) void this.afterReconnect();
      this.wasReady = true;
    });
  }

  /**
   * Starts delivering `organizationId`'s events (only `conversationId`'s, when given) to the
   * listener. Resolves once Redis has confirmed the subscription, so whatever is committed and
   * published afterwards reaches the listener; the returned function stops delivery.
   */
  async listen(organizationId: string, listener: HubListener, conversationId?: string | null): Promise<() => void> {
    if (this.closed) throw new Error('The subscription hub is closed');
    let topic = this.topics.get(organizationId);
    if (!topic) {
      topic = { everything: new Set(), byConversation: new Map(), size: 0, subscribed: this.subscribe(organizationId) };
      this.topics.set(organizationId, topic);
    }
    if (conversationId) {
      let listeners = topic.byConversation.get(conversationId);
      if (!listeners) topic.byConversation.set(conversationId, (listeners = new Set()));
      listeners.add(listener);
    } else {
      topic.everything.add(listener);
    }
    topic.size += 1;
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      this.remove(organizationId, topic, listener, conversationId);
    };
    try {
      await topic.subscribed;
    } catch (error) {
      stop();
      throw error;
    }
    return stop;
  }

  /** Organization topics this process is subscribed to, and local listeners (for metrics and tests). */
  stats(): { topics: number; listeners: number } {
    let listeners = 0;
    for (const topic of this.topics.values()) listeners += topic.size;
    return { topics: this.topics.size, listeners };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.topics.clear();
    await closeRedis(this.redis);
  }

  private subscribe(organizationId: string): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('Redis did not confirm the subscription in time')), SUBSCRIBE_TIMEOUT_MS);
      timer.unref();
    });
    const subscribed = Promise.race([this.redis.subscribe(this.topicPrefix + organizationId), timeout]).finally(() => clearTimeout(timer));
    // A failed subscription is retried by the next listener rather than cached.
    subscribed.catch((error: unknown) => {
      this.log.warn({ err: error, organizationId }, 'live feed subscription failed');
      const topic = this.topics.get(organizationId);
      if (topic?.subscribed === subscribed) this.topics.delete(organizationId);
    });
    return subscribed;
  }

  private remove(organizationId: string, topic: Topic, listener: HubListener, conversationId?: string | null) {
    if (conversationId) {
      const listeners = topic.byConversation.get(conversationId);
      if (!listeners?.delete(listener)) return;
      if (!listeners.size) topic.byConversation.delete(conversationId);
    } else if (!topic.everything.delete(listener)) {
      return;
    }
    topic.size -= 1;
    if (topic.size === 0 && this.topics.get(organizationId) === topic) {
      this.topics.delete(organizationId);
      // Commands on one connection run in order: a later SUBSCRIBE of this topic still wins.
      if (!this.closed) this.redis.unsubscribe(this.topicPrefix + organizationId).catch(() => undefined);
    }
  }

  private dispatch(channel: string, message: string) {
    if (!channel.startsWith(this.topicPrefix)) return;
    const topic = this.topics.get(channel.slice(this.topicPrefix.length));
    if (!topic) return;
    let event: DomainEvent;
    try {
      event = JSON.parse(message) as DomainEvent;
    } catch {
      this.log.warn({ channel }, 'ignored a live event that is not JSON');
      return;
    }
    const delivered: HubEvent = { seq: ++this.seq, event };
    for (const listener of topic.everything) this.deliver(listener, delivered);
    if (event.kind === 'conversation') {
      const listeners = topic.byConversation.get(event.conversationId);
      if (listeners) for (const listener of listeners) this.deliver(listener, delivered);
    }
  }

  private deliver(listener: HubListener, event: HubEvent) {
    try {
      listener.next(event);
    } catch (error) {
      this.log.error({ err: error }, 'a live feed listener failed');
    }
  }

  /**
   * ioredis re-subscribes by itself after a reconnect. A PING answered after those SUBSCRIBEs
   * (commands on one connection run in order) means they are in effect: only then may feeds
   * read their log to fill the gap, or an event committed in between could be missed.
   */
  private async afterReconnect() {
    try {
      await this.redis.ping();
    } catch {
      return; // disconnected again: the next 'ready' retries
    }
    this.log.info({ topics: this.topics.size }, 'live feeds reconnected to Redis; catching up');
    for (const topic of this.topics.values()) {
      const listeners = [...topic.everything, ...[...topic.byConversation.values()].flatMap((set) => [...set])];
      for (const listener of listeners) {
        try {
          listener.gap?.();
        } catch (error) {
          this.log.error({ err: error }, 'a live feed listener failed to catch up');
        }
      }
    }
  }
}
