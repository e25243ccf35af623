import type { JobQueues } from '../../jobs/job-queues';
import type { EventBus } from '../../pubsub/event-bus';
import type { InlineSender } from '../outbound/inline-sender';
import { dispatch } from '../outbound/queue-outbound.service';
import type { BotTurn } from './bot-runtime.service';

/** After the commit of a bot turn: its replies go to the send pipeline, its events to subscribers. */
export async function dispatchBotTurn(queues: JobQueues, events: EventBus, turn: BotTurn): Promise<void> {
  await dispatchBotTurns(queues, events, [turn]);
}

/**
 * The turns of one commit: all their replies sent from here (`inline`) or enqueued in one call, all
 * their events published in one.
 */
export async function dispatchBotTurns(queues: JobQueues, events: EventBus, turns: BotTurn[], inline?: InlineSender): Promise<void> {
  if (!turns.length) return;
  await dispatch(queues, events, turns.flatMap((turn) => turn.queued), inline);
  await events.publish(turns.flatMap((turn) => turn.events));
  for (const turn of turns) {
    if (turn.http) {
      await queues.add('outbound', 'flow-http', { conversationId: turn.http.conversationId, nodeId: turn.http.nodeId, request: turn.http.request });
    }
  }
}
