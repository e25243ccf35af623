import type { Job } from 'bullmq';
import { systemEm } from '../db/entity-manager';
import { sqlTransaction } from '../db/sql-transaction';
import { dispatchBotTurn } from '../services/flows/bot-dispatch';
import { expireBotSessions, resumeBotAfterHttp } from '../services/flows/bot-runtime.service';
import { performFlowHttp } from '../services/flows/flow-http.service';
import type { JobDeps } from './job-context';
import type { JobData } from './queues';

/** A flow's HTTP node: perform the request, then continue the flow with its answer or failure. */
export const flowHttpHandler = (deps: JobDeps) => async (job: Job<JobData<'outbound', 'flow-http'>>) => {
  const outcome = await performFlowHttp(job.data.request, deps.allowPrivateFlowHttp);
  const turn = await sqlTransaction(systemEm(deps.orm), (tx) => resumeBotAfterHttp(tx, job.data.conversationId, job.data.nodeId, outcome));
  await dispatchBotTurn(deps.queues, deps.events, turn);
  return { ok: outcome.ok };
};

export const expireBotSessionsHandler = (deps: JobDeps) => async () => {
  const events = await systemEm(deps.orm).transactional((tx) => expireBotSessions(tx));
  await deps.events.publish(events);
  return { expired: events.length };
};
