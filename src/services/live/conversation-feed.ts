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

/** Whether cursor `a` comes after `b`: both decimal seqs without leading zeros, compared without BigInt on the hot path. */
const isAfter = (a: string, b: string) => a.length > b.length || (a.length === b.length && a > b);

/**
 * `conversationEvents(conversationId, after)`: the organization's (or one conversation's) event log
 * from `after` on, then live. Cursors are the log's `seq`, given in commit order and published in
 * that order (EventSequencer): everything below a cursor is in the log, and live events come in
 * cursor order. The live topic is subscribed FIRST and its events held back while the log is read;
 * the held events are then delivered from where the log ended, so nothing falls in the gap between
 * the two and nothing comes twice. A Redis reconnect (whose messages in between are lost) triggers
 * the same catch-up from the last delivered cursor.
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
  /** The last cursor delivered (or the starting point): the client has everything up to here. */
  private last = '0';
  private catchingUp = false;
  private catchUpAgain = false;
  /** A Redis gap came before the starting point was known: caught up right after. */
  private gapWhileStarting = false;
  private unlisten: (() => void) | null = null;
  /** A replay page never fills the queue past its bound by itself. */
  private readonly pageSize: number;

  constructor(
    private readonly scope: FeedScope,
    private readonly conversationId: string | null,
  ) {
    this.queue = new EventQueue(scope.live.maxQueuedEvents, slowConsumer(scope), () => this.unlisten?.());
    this.pageSize = Math.max(1, Math.min(PAGE_SIZE, Math.floor(scope.live.maxQueuedEvents / 2)));
  }

  async checkResumable(after: bigint) {
    const [newest] = await this.query<{ id: string | null }>(`select max(seq)::text as id from conversation_event where organization_id = ?`, []);
    if (after > BigInt(newest?.id ?? 0)) throw badInput('after', 'after is not a cursor of this feed');
    const tooMany = await this.query<{ id: string }>(
      `select seq from conversation_event where organization_id = ? ${this.conversationFilter()} and seq > ? and type in (?)
       order by seq offset ? limit 1`,
      [...this.conversationParam(), String(after), LIVE_TYPES, this.scope.live.replayLimit],
    );
    if (tooMany.length) {
      throw badInput('after', `More than ${this.scope.live.replayLimit} events happened since this cursor: reload, then subscribe without after`);
    }
  }

  async start(after: bigint | null) {
    // Live events wait until the starting point is known: the log's end, or the client's cursor.
    this.held = [];
    const unlisten = await this.scope.live.hub.listen(
      this.scope.viewer.organizationId,
      { next: (event) => this.onLive(event), gap: () => this.onGap() },
      this.conversationId,
    );
    if (this.queue.ended) return unlisten();
    this.unlisten = unlisten;
    if (after !== null) {
      this.last = after.toString();
      void this.catchUp();
      return;
    }
    try {
      const [newest] = await this.query<{ id: string | null }>(
        `select max(seq)::text as id from conversation_event where organization_id = ? ${this.conversationFilter()}`,
        this.conversationParam(),
      );
      this.last = newest?.id ?? '0';
    } catch (error) {
      void this.queue.return(); // releases the listener: the subscription fails
      throw error;
    }
    // Received while the log's end was read: those after it are the first the feed delivers.
    this.releaseHeld();
    if (this.gapWhileStarting) void this.catchUp();
  }

  /** Redis dropped messages: read them from the log (once the starting point is known). */
  private onGap() {
    if (this.held && !this.catchingUp) this.gapWhileStarting = true;
    else void this.catchUp();
  }

  private releaseHeld() {
    const held = this.held ?? [];
    this.held = null;
    // They came in cursor order; those up to the last delivered came from the log already.
    for (const event of held) if (isAfter(event.cursor, this.last)) this.deliver(event);
  }

  private onLive({ event }: HubEvent) {
    if (event.kind !== 'conversation' || !LIVE_CONVERSATION_EVENT_TYPES.has(event.type)) return;
    if (this.conversationId && event.conversationId !== this.conversationId) return;
    if (!this.held) {
      // At or below the last delivered: a copy the log already gave, or re-published after a relay died.
      if (isAfter(event.cursor, this.last)) this.deliver(event);
      return;
    }
    this.held.push(event);
    // Held events count against the same bound as queued ones.
    if (this.held.length > this.scope.live.maxQueuedEvents) {
      this.held = [];
      void this.queue.return();
      slowConsumer(this.scope)();
    }
  }

  private deliver(event: ConversationDomainEvent) {
    this.last = event.cursor;
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
    try {
      do {
        this.catchUpAgain = false;
        for (;;) {
          await this.queue.whenAtMost(Math.floor(this.pageSize / 4));
          if (this.queue.ended) return;
          const rows = await this.readPage(this.last);
          for (const row of rows) this.deliver(row);
          if (rows.length < this.pageSize) break;
        }
      } while (this.catchUpAgain);
      this.releaseHeld();
    } catch (error) {
      this.scope.log.error({ err: error }, 'live feed could not read the conversation event log');
      this.queue.fail(error);
    } finally {
      this.catchingUp = false;
    }
  }

  private async readPage(after: string): Promise<ConversationDomainEvent[]> {
    const rows = await this.query<EventRow>(
      `select seq::text as id, conversation_id, type, data, created_at from conversation_event
       where organization_id = ? ${this.conversationFilter()} and seq > ? and type in (?)
       order by seq limit ?`,
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
