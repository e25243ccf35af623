import { Migration } from '@mikro-orm/migrations';

/**
 * Analytics groundwork: which flow, version and node sent each bot message (delivery per node and
 * the drop-off split need it), and the refresher's progress through the event log.
 */
export class Migration20261122050000Analytics extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "message" add column "flow_id" uuid null, add column "flow_version" int null, add column "flow_node_id" varchar(100) null;`);
    this.addSql(`alter table "message" add constraint "message_flow_id_foreign" foreign key ("flow_id") references "flow" ("id") on update cascade on delete set null;`);
    this.addSql(`create index "message_flow_id_index" on "message" ("flow_id", "flow_version", "flow_node_id") where "flow_id" is not null;`);
    // Reports read the current, not yet rolled-up quarter hour of an organization's messages from the raw rows.
    this.addSql(`create index "message_organization_id_created_at_index" on "message" ("organization_id", "created_at");`);
    // One row: the last event id the refresher has applied, and the quarter hour up to which rollups are complete.
    this.addSql(`create table "analytics_refresh_state" ("id" smallint not null default 1, "last_event_id" bigint not null default 0, "complete_before" timestamptz not null default 'epoch', "updated_at" timestamptz not null default now(), constraint "analytics_refresh_state_pkey" primary key ("id"), constraint "analytics_refresh_state_single" check ("id" = 1));`);
    this.addSql(`insert into "analytics_refresh_state" ("id") values (1);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "analytics_refresh_state";`);
    this.addSql(`drop index if exists "message_flow_id_index";`);
    this.addSql(`drop index if exists "message_organization_id_created_at_index";`);
    this.addSql(`alter table "message" drop constraint if exists "message_flow_id_foreign";`);
    this.addSql(`alter table "message" drop column "flow_id", drop column "flow_version", drop column "flow_node_id";`);
  }
}
