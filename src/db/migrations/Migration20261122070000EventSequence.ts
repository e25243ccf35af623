import { Migration } from '@mikro-orm/migrations';

/**
 * `conversation_event.seq`: the position of an event in commit order, the resume cursor of live
 * feeds. Ids are drawn when a row is inserted, so a transaction that commits late can make an
 * older id visible after a newer one was delivered; seq is given after the commit, one batch at a
 * time (see EventSequencer), so every event below a delivered cursor is already in the log.
 * Existing events keep their id as seq: cursors handed out before stay valid.
 */
export class Migration20261122070000EventSequence extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "conversation_event" add column "seq" bigint null;`);
    this.addSql(`update "conversation_event" set "seq" = "id";`);
    this.addSql(`create unique index "conversation_event_seq_unique" on "conversation_event" ("seq");`);
    this.addSql(`create index "conversation_event_organization_id_seq_index" on "conversation_event" ("organization_id", "seq");`);
    this.addSql(`create index "conversation_event_conversation_id_seq_index" on "conversation_event" ("conversation_id", "seq");`);
    // What the sequencer picks up: small, since rows leave it within milliseconds.
    this.addSql(`create index "conversation_event_unsequenced_index" on "conversation_event" ("id") where "seq" is null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "conversation_event_unsequenced_index";`);
    this.addSql(`drop index if exists "conversation_event_conversation_id_seq_index";`);
    this.addSql(`drop index if exists "conversation_event_organization_id_seq_index";`);
    this.addSql(`drop index if exists "conversation_event_seq_unique";`);
    this.addSql(`alter table "conversation_event" drop column "seq";`);
  }
}
