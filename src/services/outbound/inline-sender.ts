import type { JobQueues } from '../../jobs/job-queues';
import { QUEUE_DEFAULTS } from '../../jobs/queues';
import { deliverMessage, type DeliverDeps, type DeliverOutcome } from './deliver-message.service';
import type { Queued } from './queue-outbound.service';

/** Chains of replies sent at once by one process; beyond, replies go to the send queue. */
const MAX_CHAINS_IN_FLIGHT = 64;

const MAX_ATTEMPTS = QUEUE_DEFAULTS.outbound.jobOptions.attempts ?? 1;

/**
 * Sends a bot turn's replies from the worker that queued them, right after their commit, instead of
 * through a send job each: a job costs three Redis scripts (add, fetch, finish) and the worker's
 * bookkeeping for a request that, most of the time, simply leaves. The send itself is the send job's
 * (`deliverMessage`): order within the conversation, the channel's and the recipient's limits, the
 * claim before the request, unknown outcomes reconciled, never blindly repeated.
 *
 * Anything but a send that left (or failed for good) goes to the send queue as before: a wait (an
 * earlier message, a rate limit, an unknown outcome) as a job delayed by that wait, a transient
 * failure as a job delayed by its backoff with the attempt counted, and the replies after it in the
 * conversation behind it. The messages are QUEUED in the database before any of this, so a process
 * that dies here loses nothing: the outbound sweeper enqueues what is still QUEUED.
 */
export class InlineSender {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly deps: DeliverDeps & { queues: JobQueues }) {}

  /**
   * Starts sending `queued` (replies in the order queued), one chain per conversation; returns
   * those left to the send queue because too many chains are running already.
   */
  send(queued: Queued[]): Queued[] {
    const byConversation = new Map<string, Queued[]>();
    for (const item of queued) {
      const chain = byConversation.get(item.event.conversationId);
      if (chain) chain.push(item);
      else byConversation.set(item.event.conversationId, [item]);
    }
    const left: Queued[] = [];
    for (const items of byConversation.values()) {
      if (this.running.size >= MAX_CHAINS_IN_FLIGHT) {
        left.push(...items);
        continue;
      }
      const chain: Promise<void> = this.sendInOrder(items.map((item) => item.messageId)).finally(() => this.running.delete(chain));
      this.running.add(chain);
    }
    return left;
  }

  /**
   * Resolves once every send started here has ended, or after `maxWaitMs` (shutdown: with Redis
   * away a send can wait forever; what it leaves QUEUED or IN_FLIGHT the sweeper and the status
   * webhook settle).
   */
  async idle(maxWaitMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, maxWaitMs)));
    const drained = (async () => {
      while (this.running.size) await Promise.allSettled([...this.running]);
    })();
    await Promise.race([drained, waited]);
    clearTimeout(timer);
  }

  private async sendInOrder(messageIds: string[]): Promise<void> {
    for (const [index, messageId] of messageIds.entries()) {
      let outcome: DeliverOutcome | { kind: 'error' };
      try {
        outcome = await deliverMessage(this.deps, messageId, { made: 0, max: MAX_ATTEMPTS });
      } catch (error) {
        this.deps.log.warn({ err: error, messageId }, 'inline send failed; handing it to the send queue');
        outcome = { kind: 'error' };
      }
      if (outcome.kind === 'done' || outcome.kind === 'failed') continue;
      await this.enqueue(messageIds.slice(index), outcome);
      return;
    }
  }

  /** The first message waits as its outcome says; the others follow it in the queue (the send job keeps their order). */
  private async enqueue(messageIds: string[], outcome: Exclude<DeliverOutcome, { kind: 'done' | 'failed' }> | { kind: 'error' }) {
    const [first, ...rest] = messageIds;
    const delay = outcome.kind === 'wait' || outcome.kind === 'retry' ? outcome.ms : 1_000;
    // A transient failure spent this process's attempt; a wait did not.
    const attempts = outcome.kind === 'wait' ? MAX_ATTEMPTS : Math.max(1, MAX_ATTEMPTS - 1);
    try {
      await this.deps.queues.get('outbound').addBulk([
        { name: 'send-message', data: { messageId: first! }, opts: { jobId: `send-${first}`, delay, attempts } },
        ...rest.map((messageId) => ({ name: 'send-message' as const, data: { messageId }, opts: { jobId: `send-${messageId}` } })),
      ]);
    } catch (error) {
      // Still QUEUED in the database: the outbound sweeper enqueues them.
      this.deps.log.warn({ err: error, messageIds }, 'could not hand inline sends to the send queue; the sweeper will');
    }
  }
}
