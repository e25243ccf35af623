import type { Logger } from 'pino';
import type { Orm } from '../db/orm';

/** What job handlers get: the ORM (to fork an EntityManager per job) and a logger. */
export interface JobDeps {
  orm: Orm;
  log: Logger;
}
