import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { deliverMessage, type DeliverDeps } from '../services/outbound/deliver-message.service';
import type { JobData } from './queues';

/** An error that carries Meta's minimum wait, read by the 'meta' backoff strategy. */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    readonly waitMs: number,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

/** Wiring only: translates the service's outcome into BullMQ's moves. */
export const sendMessageHandler =
  (deps: DeliverDeps) => async (job: Job<JobData<'outbound', 'send-message'>>, token?: string) => {
    const outcome = await deliverMessage(deps, job.data.messageId, { made: job.attemptsMade, max: job.opts.attempts ?? 1 });
    switch (outcome.kind) {
      case 'done':
        return outcome.detail;
      case 'wait':
        // Back to the delayed set without spending an attempt; other conversations keep flowing.
        await job.moveToDelayed(Date.now() + outcome.ms, token);
        throw new DelayedError(outcome.reason);
      case 'retry':
        throw new RetryLaterError(outcome.error.message, outcome.ms);
      case 'failed':
        throw new UnrecoverableError(outcome.error.message);
    }
  };
