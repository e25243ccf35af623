import 'reflect-metadata';
import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { BaseEntity } from '../entities/base.entity';
import { TenantEntity } from '../entities/tenant.entity';
import { entities, tenantScopedEntities } from '../entities';
import { TENANT_FILTER, tenantFilter } from '../entities/tenant.filter';
import { Migration20261122000000Foundation } from './migrations/Migration20261122000000Foundation';
import { Migration20261122010000Inbound } from './migrations/Migration20261122010000Inbound';
import { Migration20261122020000Outbound } from './migrations/Migration20261122020000Outbound';
import { Migration20261122030000Flows } from './migrations/Migration20261122030000Flows';
import { Migration20261122035000EventOrder } from './migrations/Migration20261122035000EventOrder';
import { Migration20261122040000Live } from './migrations/Migration20261122040000Live';
import { Migration20261122050000Analytics } from './migrations/Migration20261122050000Analytics';
import { Migration20261122050100FlowAnalytics } from './migrations/Migration20261122050100FlowAnalytics';
import { Migration20261122050200ActivityAnalytics } from './migrations/Migration20261122050200ActivityAnalytics';
import { Migration20261122050300DeliveryAnalytics } from './migrations/Migration20261122050300DeliveryAnalytics';
import { Migration20261122050400AgentAnalytics } from './migrations/Migration20261122050400AgentAnalytics';
import { Migration20261122060000FailureCodeText } from './migrations/Migration20261122060000FailureCodeText';
import { Migration20261122070000EventSequence } from './migrations/Migration20261122070000EventSequence';
import { Migration20261122080000AnalyticsSeqWatermark } from './migrations/Migration20261122080000AnalyticsSeqWatermark';
import { Migration20261122090000DropEventOrganizationIdIndex } from './migrations/Migration20261122090000DropEventOrganizationIdIndex';
import { Migration20261122100000PartialEventSeqIndexes } from './migrations/Migration20261122100000PartialEventSeqIndexes';
import { Migration20261122110000LeanerMessageWrites } from './migrations/Migration20261122110000LeanerMessageWrites';
import { Migration20261122120000AnalyticsPendingBuckets } from './migrations/Migration20261122120000AnalyticsPendingBuckets';
import { Migration20261123000000DropRedundantForeignKeys } from './migrations/Migration20261123000000DropRedundantForeignKeys';
import { Migration20261123010000OneIndexOfQueuedMessages } from './migrations/Migration20261123010000OneIndexOfQueuedMessages';

/** Migrations are listed here (not globbed) so the same code runs from src/ under swc and from dist/. */
export const migrationsList = [
  { name: 'Migration20261122000000Foundation', class: Migration20261122000000Foundation },
  { name: 'Migration20261122010000Inbound', class: Migration20261122010000Inbound },
  { name: 'Migration20261122020000Outbound', class: Migration20261122020000Outbound },
  { name: 'Migration20261122030000Flows', class: Migration20261122030000Flows },
  { name: 'Migration20261122035000EventOrder', class: Migration20261122035000EventOrder },
  { name: 'Migration20261122040000Live', class: Migration20261122040000Live },
  { name: 'Migration20261122050000Analytics', class: Migration20261122050000Analytics },
  { name: 'Migration20261122050100FlowAnalytics', class: Migration20261122050100FlowAnalytics },
  { name: 'Migration20261122050200ActivityAnalytics', class: Migration20261122050200ActivityAnalytics },
  { name: 'Migration20261122050300DeliveryAnalytics', class: Migration20261122050300DeliveryAnalytics },
  { name: 'Migration20261122050400AgentAnalytics', class: Migration20261122050400AgentAnalytics },
  { name: 'Migration20261122060000FailureCodeText', class: Migration20261122060000FailureCodeText },
  { name: 'Migration20261122070000EventSequence', class: Migration20261122070000EventSequence },
  { name: 'Migration20261122080000AnalyticsSeqWatermark', class: Migration20261122080000AnalyticsSeqWatermark },
  { name: 'Migration20261122090000DropEventOrganizationIdIndex', class: Migration20261122090000DropEventOrganizationIdIndex },
  { name: 'Migration20261122100000PartialEventSeqIndexes', class: Migration20261122100000PartialEventSeqIndexes },
  { name: 'Migration20261122110000LeanerMessageWrites', class: Migration20261122110000LeanerMessageWrites },
  { name: 'Migration20261122120000AnalyticsPendingBuckets', class: Migration20261122120000AnalyticsPendingBuckets },
  { name: 'Migration20261123000000DropRedundantForeignKeys', class: Migration20261123000000DropRedundantForeignKeys },
  { name: 'Migration20261123010000OneIndexOfQueuedMessages', class: Migration20261123010000OneIndexOfQueuedMessages },
];

export interface OrmOptions {
  url: string;
  poolMax?: number;
  debug?: boolean;
  /** Where MikroORM's own messages (migrations applied) go; default the console. */
  logger?: (message: string) => void;
}

export function ormConfig({ url, poolMax = 20, debug = false, logger }: OrmOptions): Options {
  return defineConfig({
    clientUrl: url,
    entities: [BaseEntity, TenantEntity, ...entities],
    extensions: [Migrator],
    filters: { [TENANT_FILTER]: tenantFilter(tenantScopedEntities) },
    pool: { min: 0, max: poolMax },
    // Our statements are short and planned with generous row estimates; JIT compiling them costs more
    // (up to a second for an analytics rebuild statement that finds nothing) than it ever saves.
    driverOptions: { connection: { options: '-c jit=off' } },
    migrations: {
      migrationsList,
      path: 'src/db/migrations',
      pathTs: 'src/db/migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
    // A forked EntityManager per request, subscription and job; the global one must never be used.
    allowGlobalContext: false,
    forceUtcTimezone: true,
    debug,
    ...(logger ? { logger, colors: false } : {}),
  });
}

/** Used by the MikroORM CLI (migration:create) only. */
export default ormConfig({ url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:55432/wa' });
