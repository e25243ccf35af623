import { Conversation } from '../../entities/conversation.entity';
import { findById } from '../../db/find-by-id';
import { sql } from '../../db/sql';
import { badInput } from '../../domain/errors';
import type { HubEvent } from '../../pubsub/subscription-hub';
import { EventQueue } from './event-queue';
import {
  LIVE_CONVERSATION_EVENT_TYPES,
  conversationRoot,
  parseCursor,
  type ConversationDomainEvent,
  type ConversationEventRoot,
} from './live-event';
import { slowConsumer, type FeedScope } from './live-deps';
import type { ConversationEventRow as EventRow } from '../inbound/conversation-log';

/** Rows read per replay query (at most); the next page is read once the client has taken most of this one. */
const PAGE_SIZE = 200;

const LIVE_TYPES = [...LIVE_CONVERSATION_EVENT_TYPES];

/** How long replayed cursors are remembered against late live copies: far longer than a publish takes. */
const REPLAYED_MEMORY_MS = 60_000;

/** Whether cursor `a` comes after `b`: both decimal log ids without leading zeros, compared without BigInt on the hot path. */
const isAfter = (a: string, b: string) => a.length > b.length || (a.length === b.length && a > b);

/**
 * `conversationEvents(conversationId, after)`: the organization's (or one conversation's) event log
 * from `after` on, then live. The live topic is subscribed FIRST and its events held back while the
 * log is read in order; the held events are then delivered, skipping those the log already gave,
 * so nothing falls in the gap between the two and nothing comes twice. A Redis reconnect (whose
 * messages in between are lost) triggers the same catch-up from the last delivered cursor.
 */
export async function openConversationFeed(
  scope: FeedScope,
  args: { conversationId?: string | null; after?: string | null },
): Promise<AsyncIterableIterator<ConversationEventRoot>> {
  const after = parseCursor(args.after);
  const conversationId = args.conversationId ?? null;
  // Another organization's id is NOT_FOUND, exactly like the conversation(id) query.
  if (conversationId) await findById(scope.em, Conversation, conversationId, 'Conversation', 'conversationId');
  const feed = new ConversationFeed(scope, conversationId);
  if (after !== null) await feed.checkResumable(after);
  await feed.start(after);
  return feed.queue;
}

class ConversationFeed {
  readonly queue: EventQueue<ConversationEventRoot>;
  /** Live events held back while the log is being read; null once live. */
  private held: ConversationDomainEvent[] | null = null;
  /**
   * Cursors a catch-up delivered from the log. The live copy of one of them can still come (its
   * publisher was slower than our read): it is dropped. Forgotten a while after the catch-up.
   */
  private readonly replayed = new Set<string>();
  private forgetReplayed: NodeJS.Timeout | null = null;
  /** The client's resume cursor: it has everything up to here. */
  private floor = 0n;
  /** The highest cursor delivered (or the starting point): where a catch-up resumes. */
  private last = '0';
  private catchingUp = false;
  private catchUpAgain = false;
  private unlisten: (() => void) | null = null;
  /** A replay page never fills the queue past its bound by itself. */
  private readonly pageSize: number;

  constructor(
    private readonly scope: FeedScope,
    private readonly conversationId: string | null,
  ) {
    this.queue = new EventQueue(scope.live.maxQueuedEvents, slowConsumer(scope), () => {
      this.unlisten?.();
      if (this.forgetReplayed) clearTimeout(this.forgetReplayed);
      this.replayed.clear();
    });
    this.pageSize = Math.max(1, Math.min(PAGE_SIZE, Math.floor(scope.live.maxQueuedEvents / 2)));
  }

  async checkResumable(after: bigint) {
    const [newest] = await this.query<{ id: string | null }>(`select max(id)::text as id from conversation_event where organization_id = ?`, []);
    if (after > BigInt(newest?.id ?? 0)) throw badInput('after', 'after is not a cursor of this feed');
    const tooMany = await this.query<{ id: string }>(
      `select id from conversation_event where organization_id = ? ${this.conversationFilter()} and id > ? and type in (?)
       order by id offset ? limit 1`,
      [...this.conversationParam(), String(after), LIVE_TYPES, this.scope.live.replayLimit],
    );
    if (tooMany.length) {
      throw badInput('after', `More than ${this.scope.live.replayLimit} events happened since this cursor: reload, then subscribe without after`);
    }
  }

  async start(after: bigint | null) {
    if (after !== null) this.held = [];
    const unlisten = await this.scope.live.hub.listen(
      this.scope.viewer.organizationId,
      { next: (event) => this.onLive(event), gap: () => void this.catchUp() },
      this.conversationId,
    );
    if (this.queue.ended) return unlisten();
    this.unlisten = unlisten;
    if (after !== null) {
      this.floor = after;
      this.last = after.toString();
      void this.catchUp();
    } else {
      // Where a catch-up after a Redis reconnect starts: what existed when the feed began.
      try {
        const [newest] = await this.query<{ id: string | null }>(
          `select max(id)::text as id from conversation_event where organization_id = ? ${this.conversationFilter()}`,
          this.conversationParam(),
        );
        const start = newest?.id ?? '0';
        if (isAfter(start, this.last)) this.last = start;
      } catch (error) {
        void this.queue.return(); // releases the listener: the subscription fails
        throw error;
      }
    }
  }

  private onLive({ event }: HubEvent) {
    if (event.kind !== 'conversation' || !LIVE_CONVERSATION_EVENT_TYPES.has(event.type)) return;
    if (this.conversationId && event.conversationId !== this.conversationId) return;
    if (!this.held) {
      if (this.alreadyDelivered(event)) return;
      return this.deliver(event);
    }
    this.held.push(event);
    // Held events count against the same bound as queued ones.
    if (this.held.length > this.scope.live.maxQueuedEvents) {
      this.held = [];
      void this.queue.return();
      slowConsumer(this.scope)();
    }
  }

  /** The client has it: at or below its resume cursor, or given by a catch-up (then forgotten: it comes once more at most). */
  private alreadyDelivered(event: ConversationDomainEvent): boolean {
    if (this.floor && BigInt(event.cursor) <= this.floor) return true;
    return this.replayed.size > 0 && this.replayed.delete(event.cursor);
  }

  private deliver(event: ConversationDomainEvent) {
    if (isAfter(event.cursor, this.last)) this.last = event.cursor;
    this.queue.push(conversationRoot(event));
  }

  /** Reads the log after the last delivered cursor, then releases the held live events. */
  private async catchUp(): Promise<void> {
    if (this.catchingUp) {
      this.catchUpAgain = true;
      return;
    }
    this.catchingUp = true;
    this.held ??= [];
    if (this.forgetReplayed) clearTimeout(this.forgetReplayed);
    try {
      do {
        this.catchUpAgain = false;
        for (;;) {
          await this.queue.whenAtMost(Math.floor(this.pageSize / 4));
          if (this.queue.ended) return;
          const rows = await this.readPage(this.last);
          for (const row of rows) {
            this.replayed.add(row.cursor);
            this.deliver(row);
          }
          if (rows.length < this.pageSize) break;
        }
      } while (this.catchUpAgain);
      // In cursor order: two jobs can publish one after the other's commit, out of log order.
      const held = (this.held ?? []).sort((a, b) => (BigInt(a.cursor) < BigInt(b.cursor) ? -1 : 1));
      this.held = null;
      for (const event of held) if (!this.alreadyDelivered(event)) this.deliver(event);
    } catch (error) {
      this.scope.log.error({ err: error }, 'live feed could not read the conversation event log');
      this.queue.fail(error);
    } finally {
      this.catchingUp = false;
      if (!this.queue.ended) {
        this.forgetReplayed = setTimeout(() => this.replayed.clear(), REPLAYED_MEMORY_MS);
        this.forgetReplayed.unref();
      }
    }
  }

  private async readPage(after: string): Promise<ConversationDomainEvent[]> {
    const rows = await this.query<EventRow>(
      `select id::text as id, conversation_id, type, data, created_at from conversation_event
       where organization_id = ? ${this.conversationFilter()} and id > ? and type in (?)
       order by id limit ?`,
      [...this.conversationParam(), after, LIVE_TYPES, this.pageSize],
    );
    return rows.map((row) => ({
      kind: 'conversation',
      organizationId: this.scope.viewer.organizationId,
      conversationId: row.conversation_id,
      cursor: row.id,
      type: row.type,
      data: row.data,
      at: new Date(row.created_at).toISOString(),
    }));
  }

  private conversationFilter() {
    return this.conversationId ? 'and conversation_id = ?' : '';
  }

  private conversationParam(): unknown[] {
    return this.conversationId ? [this.conversationId] : [];
  }

  /** Raw SQL, so scoped by hand: the organization is always the first parameter. */
  private query<Row>(text: string, params: unknown[]): Promise<Row[]> {
    return sql<Row>(this.scope.em, text, [this.scope.viewer.organizationId, ...params]);
  }
}
