import { Migration } from '@mikro-orm/migrations';

/** The inbound side: webhook inbox, contacts, conversations, messages, statuses, events, templates. */
export class Migration20261122010000Inbound extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create type "message_status" as enum ('RECEIVED', 'QUEUED', 'SENT', 'DELIVERED', 'READ', 'PLAYED', 'FAILED');`);
    this.addSql(`create type "conversation_status" as enum ('BOT', 'WAITING_AGENT', 'WITH_AGENT', 'CLOSED');`);
    this.addSql(`create type "message_direction" as enum ('IN', 'OUT');`);
    this.addSql(`create type "message_type" as enum ('TEXT', 'IMAGE', 'VIDEO', 'AUDIO', 'DOCUMENT', 'STICKER', 'LOCATION', 'CONTACTS', 'INTERACTIVE', 'BUTTON', 'REACTION', 'TEMPLATE', 'ORDER', 'SYSTEM', 'UNSUPPORTED', 'UNKNOWN');`);
    this.addSql(`create type "conversation_event_type" as enum ('MESSAGE_RECEIVED', 'MESSAGE_SENT', 'MESSAGE_STATUS_CHANGED', 'REACTION', 'CONVERSATION_OPENED', 'STATUS_CHANGED', 'ASSIGNED', 'BOT', 'ERROR');`);
    this.addSql(`create type "delivery_status" as enum ('RECEIVED', 'PROCESSED', 'FAILED');`);
    this.addSql(`create table "message_status_update" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "wamid" varchar(255) not null, "status" "message_status" not null, "occurred_at" timestamptz not null, "payload" jsonb not null, "applied_at" timestamptz null, constraint "message_status_update_pkey" primary key ("id"));`);
    this.addSql(`create index "message_status_update_organization_id_index" on "message_status_update" ("organization_id");`);
    this.addSql(`alter table "message_status_update" add constraint "message_status_update_wamid_status_unique" unique ("wamid", "status");`);
    this.addSql(`create table "contact" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "wa_id" varchar(64) not null, "name" text null, "user_id" text null, "username" text null, "first_seen_at" timestamptz not null, "last_seen_at" timestamptz not null, constraint "contact_pkey" primary key ("id"));`);
    this.addSql(`create index "contact_organization_id_index" on "contact" ("organization_id");`);
    this.addSql(`alter table "contact" add constraint "contact_organization_id_wa_id_unique" unique ("organization_id", "wa_id");`);
    this.addSql(`create table "template" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "waba_id" varchar(64) not null, "meta_template_id" varchar(64) null, "name" varchar(512) not null, "language" varchar(32) not null, "category" varchar(32) null, "status" varchar(32) not null default 'PENDING', "quality_score" varchar(16) null, "rejection_reason" text null, "pending_category" varchar(32) null, "components" jsonb null, "status_details" jsonb null, constraint "template_pkey" primary key ("id"));`);
    this.addSql(`create index "template_organization_id_index" on "template" ("organization_id");`);
    this.addSql(`create index "template_organization_id_name_language_index" on "template" ("organization_id", "name", "language");`);
    this.addSql(`alter table "template" add constraint "template_organization_id_waba_id_meta_template_id_unique" unique ("organization_id", "waba_id", "meta_template_id");`);
    this.addSql(`create table "conversation" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "channel_id" uuid not null, "contact_id" uuid not null, "status" "conversation_status" not null default 'WAITING_AGENT', "assigned_to_id" uuid null, "last_inbound_at" timestamptz null, "window_expires_at" timestamptz null, "last_message_at" timestamptz not null default now(), "last_message_id" uuid null, constraint "conversation_pkey" primary key ("id"));`);
    this.addSql(`create index "conversation_organization_id_index" on "conversation" ("organization_id");`);
    this.addSql(`create index "conversation_contact_id_index" on "conversation" ("contact_id");`);
    this.addSql(`create index "conversation_organization_id_last_message_at_id_index" on "conversation" ("organization_id", "last_message_at" desc nulls last, "id" desc);`);
    this.addSql(`alter table "conversation" add constraint "conversation_channel_id_contact_id_unique" unique ("channel_id", "contact_id");`);
    this.addSql(`create table "message" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "conversation_id" uuid not null, "channel_id" uuid not null, "wamid" varchar(255) null, "direction" "message_direction" not null, "type" "message_type" not null, "text" text null, "media" jsonb null, "location" jsonb null, "reply_to_wamid" varchar(255) null, "reaction" text null, "context" jsonb null, "referral" jsonb null, "payload" jsonb not null, "status" "message_status" not null default 'RECEIVED', "sent_at_meta" timestamptz null, "sent_at" timestamptz null, "delivered_at" timestamptz null, "read_at" timestamptz null, "played_at" timestamptz null, "failed_at" timestamptz null, "error_code" text null, "error_title" text null, "error_details" text null, "pricing_category" text null, "pricing_model" text null, constraint "message_pkey" primary key ("id"));`);
    this.addSql(`create index "message_organization_id_index" on "message" ("organization_id");`);
    this.addSql(`alter table "message" add constraint "message_wamid_unique" unique ("wamid");`);
    this.addSql(`create index "message_conversation_id_created_at_id_index" on "message" ("conversation_id", "created_at", "id");`);
    this.addSql(`create table "conversation_event" ("id" bigserial primary key, "organization_id" uuid not null, "conversation_id" uuid not null, "type" "conversation_event_type" not null, "data" jsonb not null, "created_at" timestamptz not null default now());`);
    this.addSql(`create index "conversation_event_organization_id_id_index" on "conversation_event" ("organization_id", "id");`);
    this.addSql(`create index "conversation_event_conversation_id_id_index" on "conversation_event" ("conversation_id", "id");`);
    this.addSql(`create table "webhook_delivery" ("id" uuid not null, "raw_body" text not null, "received_at" timestamptz not null, "status" "delivery_status" not null default 'RECEIVED', "processed_at" timestamptz null, "attempts" int not null default 0, "last_error" text null, "issues" jsonb null, constraint "webhook_delivery_pkey" primary key ("id"));`);
    this.addSql(`create index "webhook_delivery_status_received_at_index" on "webhook_delivery" ("status", "received_at");`);
    this.addSql(`alter table "message_status_update" add constraint "message_status_update_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "contact" add constraint "contact_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "template" add constraint "template_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "conversation" add constraint "conversation_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "conversation" add constraint "conversation_channel_id_foreign" foreign key ("channel_id") references "channel" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "conversation" add constraint "conversation_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "conversation" add constraint "conversation_assigned_to_id_foreign" foreign key ("assigned_to_id") references "user" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "message" add constraint "message_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "message" add constraint "message_conversation_id_foreign" foreign key ("conversation_id") references "conversation" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "message" add constraint "message_channel_id_foreign" foreign key ("channel_id") references "channel" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "conversation_event" add constraint "conversation_event_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "conversation_event" add constraint "conversation_event_conversation_id_foreign" foreign key ("conversation_id") references "conversation" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "channel" add column "account_event" varchar(64) null, add column "account_restriction" jsonb null, add column "account_updated_at" timestamptz null;`);
    // Unapplied (parked) statuses are looked up by wamid when their message appears.
    this.addSql(`create index "message_status_update_parked_index" on "message_status_update" ("wamid") where "applied_at" is null;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "webhook_delivery", "conversation_event", "message_status_update", "message", "conversation", "template", "contact" cascade;');
    this.addSql('alter table "channel" drop column "account_event", drop column "account_restriction", drop column "account_updated_at";');
    this.addSql('drop type if exists "delivery_status", "conversation_event_type", "message_type", "message_direction", "conversation_status", "message_status";');
  }
}
