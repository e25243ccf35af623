import type { ConversationStatus } from '../../entities/conversation.entity';
import { isUuid } from '../../db/find-by-id';
import { sql } from '../../db/sql';
import type { HubEvent } from '../../pubsub/subscription-hub';
import { EventQueue } from './event-queue';
import { InboxChange, type ConversationDomainEvent, type InboxRoot } from './live-event';
import { slowConsumer, type FeedScope } from './live-deps';

export interface InboxFilterInput {
  status?: ConversationStatus | null;
  assignedToMe?: boolean | null;
  channelId?: string | null;
}

/** What decides whether a conversation is in an inbox; read once per event for all subscribers. */
interface ConversationSnapshot {
  id: string;
  status: ConversationStatus;
  assigned_to_id: string | null;
  channel_id: string;
}

/** Below this many matching conversations a feed knows its whole list; above it, it only remembers what it saw. */
const EXACT_LIMIT = 5_000;
/** Conversations a feed remembers as in or out of its list. */
const MEMORY_LIMIT = 10_000;

/**
 * `inbox(filter)`: a conversation ENTERED the filter, changed while in it (UPDATED) or LEFT it.
 * The same filter as the conversations query. Each conversation event re-reads its conversation
 * (once per event for the whole process) and compares with what this feed last knew of it. A feed
 * starts from the list as it is (when not huge); past that it reports LEFT once for a conversation
 * it has not seen in the list, which is harmless for a client (removing an absent row).
 */
export async function openInboxFeed(scope: FeedScope, filter: InboxFilterInput): Promise<AsyncIterableIterator<InboxRoot>> {
  const feed = new InboxFeed(scope, filter);
  await feed.start();
  return feed.queue;
}

class InboxFeed {
  readonly queue: EventQueue<InboxRoot>;
  private readonly known = new Map<string, boolean>();
  /** True when `known` holds every conversation in the list: anything else is out. */
  private exact = false;
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private unlisten: (() => void) | null = null;

  constructor(
    private readonly scope: FeedScope,
    private readonly filter: InboxFilterInput,
  ) {
    this.queue = new EventQueue(scope.live.maxQueuedEvents, slowConsumer(scope), () => this.unlisten?.());
  }

  async start() {
    let ready!: () => void;
    // Events that arrive while the list is read wait behind it, in order.
    this.chain = new Promise((resolve) => (ready = resolve));
    const unlisten = await this.scope.live.hub.listen(this.scope.viewer.organizationId, { next: (event) => this.onLive(event) });
    if (this.queue.ended) return unlisten();
    this.unlisten = unlisten;
    try {
      const members = await this.currentList();
      if (members.length <= EXACT_LIMIT) {
        this.exact = true;
        for (const { id } of members) this.known.set(id, true);
      }
    } catch (error) {
      void this.queue.return(); // releases the listener: the subscription fails
      throw error;
    } finally {
      ready();
    }
  }

  private onLive({ event }: HubEvent) {
    if (event.kind !== 'conversation') return;
    if (++this.pending > this.scope.live.maxQueuedEvents) {
      void this.queue.return();
      return slowConsumer(this.scope)();
    }
    this.chain = this.chain
      .then(() => (this.queue.ended ? undefined : this.apply(event)))
      .catch((error: unknown) => {
        this.scope.log.error({ err: error }, 'inbox feed could not read a conversation');
        this.queue.fail(error);
      })
      .finally(() => void (this.pending -= 1));
  }

  private async apply(event: ConversationDomainEvent) {
    const snapshot = await this.snapshot(event);
    const id = event.conversationId;
    const before = this.known.has(id) ? this.known.get(id) : this.exact ? false : undefined;
    const now = snapshot !== null && this.matches(snapshot);
    this.remember(id, now);
    if (now) this.emit(event, before === true ? InboxChange.UPDATED : InboxChange.ENTERED);
    else if (before !== false) this.emit(event, InboxChange.LEFT);
  }

  private emit(event: ConversationDomainEvent, change: InboxChange) {
    this.queue.push({
      liveKey: `i${event.cursor}${change}`,
      eventKey: `c${event.cursor}`,
      organizationId: event.organizationId,
      change,
      conversationId: event.conversationId,
      cursor: event.cursor,
      at: event.at,
    });
  }

  private remember(id: string, inList: boolean) {
    this.known.delete(id);
    if (!this.exact && this.known.size >= MEMORY_LIMIT) this.known.delete(this.known.keys().next().value!);
    // In exact mode, absence already means out: only members need remembering.
    if (inList || !this.exact) this.known.set(id, inList);
  }

  private matches(conversation: ConversationSnapshot): boolean {
    const { status, assignedToMe, channelId } = this.filter;
    if (status && conversation.status !== status) return false;
    if (channelId && conversation.channel_id !== channelId) return false;
    if (assignedToMe && (!this.scope.viewer.userId || conversation.assigned_to_id !== this.scope.viewer.userId)) return false;
    return true;
  }

  /** The conversation as it is now, read once per event for every inbox feed of this process. */
  private snapshot(event: ConversationDomainEvent): Promise<ConversationSnapshot | null> {
    return this.scope.live.cache.get(`inbox-row\n${event.cursor}`, async () => {
      const [row] = await sql<ConversationSnapshot>(
        this.scope.em,
        `select id, status, assigned_to_id, channel_id from conversation where id = ? and organization_id = ?`,
        [event.conversationId, event.organizationId],
      );
      return row ?? null;
    });
  }

  /** The ids the conversations query would list for this filter now, up to just past the exact limit. */
  private async currentList(): Promise<{ id: string }[]> {
    const { status, assignedToMe, channelId } = this.filter;
    const conditions: [string, unknown][] = [['organization_id = ?', this.scope.viewer.organizationId]];
    if (status) conditions.push(['status = ?', status]);
    // A malformed id or a missing user matches nothing (`= null` is never true), as in the query.
    if (channelId) conditions.push(['channel_id = ?', isUuid(channelId) ? channelId : null]);
    if (assignedToMe) conditions.push(['assigned_to_id = ?', this.scope.viewer.userId]);
    return sql<{ id: string }>(
      this.scope.em,
      `select id from conversation where ${conditions.map(([condition]) => condition).join(' and ')} limit ?`,
      [...conditions.map(([, value]) => value), EXACT_LIMIT + 1],
    );
  }
}
