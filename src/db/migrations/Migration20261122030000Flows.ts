import { Migration } from '@mikro-orm/migrations';

/** Chatbot flows and their published versions, bot sessions on conversations, a channel's default flow. */
export class Migration20261122030000Flows extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "flow" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "name" varchar(200) not null, "description" text null, "draft" jsonb not null, "published_version" int null, "published_keywords" text[] null, "archived_at" timestamptz null, constraint "flow_pkey" primary key ("id"));`);
    this.addSql(`create index "flow_organization_id_index" on "flow" ("organization_id");`);
    this.addSql(`create index "flow_organization_id_name_index" on "flow" ("organization_id", "name");`);
    this.addSql(`create table "flow_version" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "flow_id" uuid not null, "version" int not null, "definition" jsonb not null, "checksum" varchar(64) not null, "published_by_id" uuid null, constraint "flow_version_pkey" primary key ("id"));`);
    this.addSql(`create index "flow_version_organization_id_index" on "flow_version" ("organization_id");`);
    this.addSql(`alter table "flow_version" add constraint "flow_version_flow_id_version_unique" unique ("flow_id", "version");`);
    this.addSql(`alter table "flow" add constraint "flow_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "flow_version" add constraint "flow_version_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "flow_version" add constraint "flow_version_flow_id_foreign" foreign key ("flow_id") references "flow" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "flow_version" add constraint "flow_version_published_by_id_foreign" foreign key ("published_by_id") references "user" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "channel" add column "default_flow_id" uuid null;`);
    this.addSql(`alter table "channel" add constraint "channel_default_flow_id_foreign" foreign key ("default_flow_id") references "flow" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "conversation" add column "bot_state" jsonb null, add column "bot_expires_at" timestamptz null;`);
    // The expiry sweep reads bot sessions by their deadline.
    this.addSql(`create index "conversation_bot_expires_at_index" on "conversation" ("bot_expires_at") where "bot_expires_at" is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "conversation" drop column "bot_state", drop column "bot_expires_at";`);
    this.addSql(`alter table "channel" drop column "default_flow_id";`);
    this.addSql(`drop table if exists "flow_version", "flow" cascade;`);
  }
}
