import type { Logger } from 'pino';
import type { SecretBox } from '../auth/secret-box';
import type { Orm } from '../db/orm';
import type { GraphApiClient } from '../meta/graph-api.client';
import type { EventBus } from '../pubsub/event-bus';
import type { InboundMessageCommitter } from '../services/inbound/message-committer';
import type { SendGovernor } from '../services/outbound/send-governor';
import type { JobQueues } from './job-queues';

/** What job handlers get: the ORM (to fork an EntityManager per job), queues, events, Meta and a logger. */
export interface JobDeps {
  orm: Orm;
  queues: JobQueues;
  events: EventBus;
  log: Logger;
  graph: GraphApiClient;
  governor: SendGovernor;
  secrets: SecretBox;
  /** How long an unknown send outcome waits for Meta's status webhook before sending again. */
  reconcileMs: number;
  /** Flows' HTTP nodes may call private addresses (local development and tests only). */
  allowPrivateFlowHttp: boolean;
  /** Group commit for the inbound messages of every webhook job the process runs at once. */
  messages: InboundMessageCommitter;
}
