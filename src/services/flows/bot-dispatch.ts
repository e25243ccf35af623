import type { JobQueues } from '../../jobs/job-queues';
import type { EventBus } from '../../pubsub/event-bus';
import { dispatch } from '../outbound/queue-outbound.service';
import type { BotTurn } from './bot-runtime.service';

/** After the commit of a bot turn: its replies go to the send pipeline, its events to subscribers. */
export async function dispatchBotTurn(queues: JobQueues, events: EventBus, turn: BotTurn): Promise<void> {
  await dispatch(queues, events, turn.queued);
  await events.publish(turn.events);
  if (turn.http) {
    await queues.add('outbound', 'flow-http', { conversationId: turn.http.conversationId, nodeId: turn.http.nodeId, request: turn.http.request });
  }
}
