import type { Logger } from 'pino';
import type { Orm } from '../db/orm';
import type { EventBus } from '../pubsub/event-bus';
import type { JobQueues } from './job-queues';

/** What job handlers get: the ORM (to fork an EntityManager per job), queues, events and a logger. */
export interface JobDeps {
  orm: Orm;
  queues: JobQueues;
  events: EventBus;
  log: Logger;
}
