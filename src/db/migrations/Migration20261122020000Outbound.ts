import { Migration } from '@mikro-orm/migrations';

/** The send pipeline: ordering, the send state machine, authorship and template links. */
export class Migration20261122020000Outbound extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create type "send_state" as enum ('PENDING', 'IN_FLIGHT', 'UNCERTAIN', 'DONE');`);
    this.addSql(`create type "author_kind" as enum ('CUSTOMER', 'AGENT', 'API', 'BOT', 'SYSTEM');`);
    this.addSql(`create sequence "message_seq";`);
    this.addSql(`alter table "message"
      add column "seq" bigint not null default nextval('message_seq'),
      add column "send_state" "send_state" null,
      add column "send_attempts" int not null default 0,
      add column "send_started_at" timestamptz null,
      add column "author_kind" "author_kind" not null default 'CUSTOMER',
      add column "author_user_id" uuid null references "user" ("id") on update cascade on delete set null,
      add column "template_id" uuid null references "template" ("id") on update cascade on delete set null;`);
    this.addSql(`alter sequence "message_seq" owned by "message"."seq";`);
    // The send queue of a conversation, in creation order; and the sweeper's view of stuck sends.
    this.addSql(`create index "message_outbound_queue_index" on "message" ("conversation_id", "seq") where "status" = 'QUEUED';`);
    this.addSql(`create index "message_queued_index" on "message" ("created_at") where "status" = 'QUEUED';`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "message" drop column "seq", drop column "send_state", drop column "send_attempts", drop column "send_started_at",
      drop column "author_kind", drop column "author_user_id", drop column "template_id";`);
    this.addSql(`drop sequence if exists "message_seq";`);
    this.addSql(`drop type if exists "send_state", "author_kind";`);
  }
}
