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
   * Buckets before `from` whose rows can change because these conversations have new rows from
   * `from` on. The refresher asks when it puts off rebuilding the quarter hour being written, so
   * that ended buckets are not left stale meanwhile; the answer costs a few index probes per
   * conversation, whatever the size of that quarter hour.
   */
  earlierBucketsAffected?(em: EntityManager, conversationIds: string[], from: Date): Promise<OrganizationBuckets[]>;
}

export type RollupBuilder = ConversationFactsBuilder | BucketRollupBuilder;
