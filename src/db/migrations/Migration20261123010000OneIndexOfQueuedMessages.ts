import { Migration } from '@mikro-orm/migrations';

/**
 * Drops `message_queued_index` (`created_at` of QUEUED messages), leaving
 * `message_outbound_queue_index` (`conversation_id, seq` of QUEUED messages) as the one index of
 * the send queue.
 *
 * Before a send, the message is read with whether an earlier message of its conversation is still
 * QUEUED. Both indexes cover that check, and the planner, whose statistics rarely count the QUEUED
 * messages of the moment (they come and go between two ANALYZEs), took the one by creation time:
 * a scan of every QUEUED message of every conversation, for each message sent. With a backlog of a
 * few thousand replies (bench:flow with two worker processes), reading 30 messages to send took
 * 44 ms instead of 0.5, and PostgreSQL used 2.6-3.6 ms of CPU per message instead of 1.3.
 *
 * The outbound sweeper, the index's only other reader, orders the QUEUED messages by creation time
 * from the remaining index (a sort of the queue, once a minute). An outbound message also costs one
 * index entry less.
 */
export class Migration20261123010000OneIndexOfQueuedMessages extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop index if exists "message_queued_index";`);
  }

  override async down(): Promise<void> {
    this.addSql(`create index "message_queued_index" on "message" ("created_at") where "status" = 'QUEUED';`);
  }
}
