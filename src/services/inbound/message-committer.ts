import type { Logger } from 'pino';
import { withDeferredWrites } from '../../db/deferred-writes';
import { systemEm } from '../../db/entity-manager';
import type { Orm } from '../../db/orm';
import { sqlTransaction } from '../../db/sql-transaction';
import type { JobQueues } from '../../jobs/job-queues';
import type { Metrics } from '../../observability/metrics';
import type { DomainEvent } from '../../pubsub/domain-event';
import type { EventBus } from '../../pubsub/event-bus';
import { dispatchBotTurns } from '../flows/bot-dispatch';
import type { InlineSender } from '../outbound/inline-sender';
import { outboundRows } from '../outbound/queue-outbound.service';
import { eventRows } from './conversation-log';
import { conversationWrites, storeInboundMessages, type InboundItem, type InboundResult } from './inbound-message.service';

export interface MessageCommitterDeps {
  orm: Orm;
  events: EventBus;
  queues: JobQueues;
  log: Logger;
  metrics?: Metrics;
  /** Sends the bot replies from this process right after the commit; without it they are enqueued. */
  inline?: InlineSender;
}

/** A message checked to have a sender (checkInboundMessage). */
type SenderKnown = InboundItem & { message: { from: string } };

interface Waiting extends SenderKnown {
  /** Its contact: (organization, sender). */
  key: string;
  resolve: (result: InboundResult) => void;
  reject: (error: unknown) => void;
}

/** Messages in one transaction at most. */
const MAX_GROUP = 64;
/** Group transactions in flight at once: while one commits, the next forms and runs. */
const MAX_CONCURRENT_GROUPS = 2;

/**
 * Group commit for inbound messages. Each message with its bot turn costs a handful of statements
 * and a commit when it runs alone; the messages waiting while a group runs (from every delivery the
 * worker processes) share the next transaction instead. The group upserts all its contacts and
 * conversations and inserts all its messages in one statement, writes all its bot replies,
 * conversation updates and events in one more, and commits once; its sends are enqueued and its
 * events published in one call each. No timer: a lone message runs at once.
 *
 * A group holds one message per contact, so one per conversation (a row is upserted once per
 * statement, and the conversation is written once, from memory, at the end), and a contact's
 * messages run one group after another in the order they came. Rows are locked in one order
 * (organization, sender, channel), so two groups cannot deadlock each other.
 * If a group fails for any reason (one bad value fails its statement, a deadlock with another
 * writer), nothing of it was committed, and each of its messages runs again alone: a message's own
 * fault then stays with that message.
 */
export class InboundMessageCommitter {
  private waiting: Waiting[] = [];
  private scheduled = false;
  private running = 0;
  /** Contacts of the groups in flight: their next message waits for the commit. */
  private readonly busy = new Set<string>();

  constructor(private readonly deps: MessageCommitterDeps) {}

  /** Stores the message and runs its bot turn; resolves after the commit, the sends enqueued. */
  store(item: SenderKnown): Promise<InboundResult> {
    return new Promise<InboundResult>((resolve, reject) => {
      this.waiting.push({ ...item, key: `${item.channel.organization.id}:${item.message.from}`, resolve, reject });
      if (!this.scheduled) {
        // Every message submitted in this turn of the event loop joins the group.
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.startGroups();
        });
      }
    });
  }

  private startGroups(): void {
    while (this.running < MAX_CONCURRENT_GROUPS) {
      const group = this.takeGroup();
      if (!group.length) return;
      void this.runGroup(group);
    }
  }

  /** The first waiting message of each conversation not in flight, in arrival order, up to MAX_GROUP. */
  private takeGroup(): Waiting[] {
    const group: Waiting[] = [];
    const seen = new Set<string>();
    const rest: Waiting[] = [];
    for (const item of this.waiting) {
      if (group.length < MAX_GROUP && !seen.has(item.key) && !this.busy.has(item.key)) group.push(item);
      else rest.push(item);
      seen.add(item.key);
    }
    this.waiting = rest;
    return group;
  }

  private async runGroup(group: Waiting[]): Promise<void> {
    this.running += 1;
    for (const item of group) this.busy.add(item.key);
    try {
      let results: InboundResult[] | null = null;
      try {
        results = await this.commit(group);
      } catch (error) {
        if (group.length === 1) group[0]!.reject(error);
        else this.deps.log.debug({ err: error, messages: group.length }, 'message group failed; storing its messages one by one');
      }
      this.deps.metrics?.inboundMessageGroups.observe({ outcome: results ? 'committed' : group.length === 1 ? 'failed' : 'split' }, group.length);
      if (results) {
        group.forEach((item, index) => item.resolve(results[index]!));
      } else if (group.length > 1) {
        for (const item of group) await this.commit([item]).then(([result]) => item.resolve(result!), item.reject);
      }
    } finally {
      for (const item of group) this.busy.delete(item.key);
      this.running -= 1;
      this.startGroups();
    }
  }

  /** One transaction for the group, then its sends and events. Results in the group's order. */
  private async commit(group: Waiting[]): Promise<InboundResult[]> {
    const ordered = [...group].sort((a, b) => compare(lockOrder(a), lockOrder(b)));
    const stored = await sqlTransaction(systemEm(this.deps.orm), (tx) =>
      // The group's replies, conversation updates and events: one statement at the end, which
      // carries the COMMIT.
      withDeferredWrites(
        tx,
        [outboundRows, conversationWrites, eventRows],
        async () => {
          const results = await storeInboundMessages(tx, ordered);
          return new Map(ordered.map((item, index) => [item, results[index]!]));
        },
        { last: true },
      ),
    );
    const results = group.map((item) => stored.get(item)!);
    const events: DomainEvent[] = results.flatMap((result) => result.events);
    if (events.length) await this.deps.events.publish(events);
    await dispatchBotTurns(this.deps.queues, this.deps.events, results.flatMap((result) => (result.bot ? [result.bot] : [])), this.deps.inline);
    return results;
  }
}

/** Contacts are unique per (organization, wa_id) and conversations per (channel, contact): lock them in this order. */
const lockOrder = (item: SenderKnown) => [item.channel.organization.id, item.message.from, item.channel.id];

function compare(a: string[], b: string[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! !== b[i]!) return a[i]! < b[i]! ? -1 : 1;
  }
  return 0;
}
