import type { EntityManager } from '../../db/entity-manager';
import type { OrganizationBuckets } from './organization-buckets';

/**
 * Facts kept per conversation (bot sessions, agent episodes). Rebuilding is idempotent: delete the
 * conversations' rows and derive them again from the event log and messages, in the caller's
 * transaction. The refresher calls it for every conversation with new events; the rebuild job for
 * every conversation with events in a range.
 */
export interface ConversationFactsBuilder {
  kind: 'conversation';
  name: string;
  rebuildConversations(em: EntityManager, conversationIds: string[]): Promise<void>;
}

/**
 * Counters kept per organization and quarter hour (UTC bucket start). Rebuilding a bucket deletes
 * its rows and aggregates the raw rows of that quarter hour again, in the caller's transaction.
 * One call rebuilds the buckets of many organizations in the same few statements.
 */
export interface BucketRollupBuilder {
  kind: 'bucket';
  name: string;
  rebuildBuckets(em: EntityManager, work: OrganizationBuckets[]): Promise<void>;
  /**
   * Buckets before `work` whose rows the raw rows of `work` can change, when a rebuild of `work`
   * would rebuild them too. The refresher asks when it puts off rebuilding `work` (the quarter hour
   * being written), so that the ended buckets are not left stale meanwhile.
   */
  earlierBucketsAffected?(em: EntityManager, work: OrganizationBuckets[]): Promise<OrganizationBuckets[]>;
}

export type RollupBuilder = ConversationFactsBuilder | BucketRollupBuilder;
