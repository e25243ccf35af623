import { Migration } from '@mikro-orm/migrations';

/** Tenants, members, credentials and channels. */
export class Migration20261122000000Foundation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create type "quality_rating" as enum ('GREEN', 'YELLOW', 'RED', 'UNKNOWN');`);
    this.addSql(`create type "messaging_limit_tier" as enum ('TIER_50', 'TIER_250', 'TIER_1K', 'TIER_2K', 'TIER_10K', 'TIER_100K', 'UNLIMITED', 'NOT_SET');`);
    this.addSql(`create type "member_role" as enum ('OWNER', 'ADMIN', 'AGENT', 'VIEWER');`);
    this.addSql(`create table "organization" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(200) not null, "timezone" varchar(64) not null default 'UTC', constraint "organization_pkey" primary key ("id"));`);
    this.addSql(`create table "channel" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "phone_number_id" varchar(64) not null, "waba_id" varchar(64) not null, "display_phone_number" varchar(32) not null, "name" varchar(200) null, "access_token_encrypted" text not null, "quality_rating" "quality_rating" not null default 'UNKNOWN', "messaging_limit_tier" "messaging_limit_tier" not null default 'NOT_SET', "throughput_per_second" int not null default 80, constraint "channel_pkey" primary key ("id"));`);
    this.addSql(`create index "channel_organization_id_index" on "channel" ("organization_id");`);
    this.addSql(`alter table "channel" add constraint "channel_phone_number_id_unique" unique ("phone_number_id");`);
    this.addSql(`create table "user" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "email" varchar(320) not null, "name" varchar(200) not null, "role" "member_role" not null, "password_hash" text null, "invite_token_hash" varchar(64) null, "invite_expires_at" timestamptz null, "last_login_at" timestamptz null, "deactivated_at" timestamptz null, constraint "user_pkey" primary key ("id"));`);
    this.addSql(`create index "user_organization_id_index" on "user" ("organization_id");`);
    this.addSql(`alter table "user" add constraint "user_email_unique" unique ("email");`);
    this.addSql(`alter table "user" add constraint "user_invite_token_hash_unique" unique ("invite_token_hash");`);
    this.addSql(`create table "api_key" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "name" varchar(100) not null, "prefix" varchar(16) not null, "secret_hash" varchar(64) not null, "role" "member_role" not null, "user_id" uuid null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "api_key_pkey" primary key ("id"));`);
    this.addSql(`create index "api_key_organization_id_index" on "api_key" ("organization_id");`);
    this.addSql(`alter table "api_key" add constraint "api_key_prefix_unique" unique ("prefix");`);
    this.addSql(`create table "user_session" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "user_id" uuid not null, "refresh_token_hash" varchar(64) not null, "expires_at" timestamptz not null, "revoked_at" timestamptz null, "last_used_at" timestamptz null, constraint "user_session_pkey" primary key ("id"));`);
    this.addSql(`create index "user_session_organization_id_index" on "user_session" ("organization_id");`);
    this.addSql(`create index "user_session_user_id_index" on "user_session" ("user_id");`);
    this.addSql(`alter table "user_session" add constraint "user_session_refresh_token_hash_unique" unique ("refresh_token_hash");`);
    this.addSql(`alter table "channel" add constraint "channel_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "user" add constraint "user_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "api_key" add constraint "api_key_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "api_key" add constraint "api_key_user_id_foreign" foreign key ("user_id") references "user" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "user_session" add constraint "user_session_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "user_session" add constraint "user_session_user_id_foreign" foreign key ("user_id") references "user" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "user_session", "api_key", "user", "channel", "organization" cascade;');
    this.addSql('drop type if exists "member_role", "messaging_limit_tier", "quality_rating";');
  }
}
