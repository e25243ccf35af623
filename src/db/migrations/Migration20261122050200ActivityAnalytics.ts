import { Migration } from '@mikro-orm/migrations';

/**
 * Analytics: message activity per quarter hour (dailyActivity) and each contact's inbound activity
 * (userSegments). Sized with EXPLAIN ANALYZE on 1,000,000 messages, 100,000 contacts and 60 days:
 * reports read about 100 rows per channel and day, or one row per contact, never the raw messages.
 */
export class Migration20261122050200ActivityAnalytics extends Migration {
  override async up(): Promise<void> {
    /*
     * Per (channel, quarter hour): message and conversation counts, and what counting distinct
     * contacts per local day needs in any time zone. A contact who wrote in the quarter hour is
     * either new (never wrote before) or has a gap: quarter hours since it last wrote. It is the
     * first of its local day when the gap exceeds the quarter hours elapsed since local midnight,
     * so a day's active contacts are sums over its buckets, with no distinct over contacts.
     * `any_*` are the same over every channel, each contact counted on one channel row only.
     */
    this.addSql(`create table "analytics_activity" ("organization_id" uuid not null, "bucket" timestamptz not null, "channel_id" uuid not null, "inbound" int not null default 0, "outbound" int not null default 0, "conversations_opened" int not null default 0, "conversations_closed" int not null default 0, "new_contacts" int not null default 0, "contact_gaps" int[] not null default '{}', "any_new_contacts" int not null default 0, "any_contact_gaps" int[] not null default '{}', constraint "analytics_activity_pkey" primary key ("organization_id", "bucket", "channel_id"));`);
    this.addSql(`alter table "analytics_activity" add constraint "analytics_activity_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "analytics_activity" add constraint "analytics_activity_channel_id_foreign" foreign key ("channel_id") references "channel" ("id") on update cascade on delete cascade;`);

    // Each contact's inbound messages per (channel, quarter hour): the source of the gaps and timelines.
    this.addSql(`create table "analytics_contact_activity" ("organization_id" uuid not null, "contact_id" uuid not null, "bucket" timestamptz not null, "channel_id" uuid not null, "messages" int not null, "last_message_at" timestamptz not null, constraint "analytics_contact_activity_pkey" primary key ("organization_id", "contact_id", "bucket", "channel_id"));`);
    // Rebuilding a quarter hour deletes and reads its rows.
    this.addSql(`create index "analytics_contact_activity_bucket_index" on "analytics_contact_activity" ("organization_id", "bucket");`);
    this.addSql(`alter table "analytics_contact_activity" add constraint "analytics_contact_activity_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "analytics_contact_activity" add constraint "analytics_contact_activity_channel_id_foreign" foreign key ("channel_id") references "channel" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "analytics_contact_activity" add constraint "analytics_contact_activity_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on update cascade on delete cascade;`);

    /*
     * One row per contact: the latest inbound message of each quarter hour it wrote in, ascending,
     * and the running total of its inbound messages. width_bucket() finds a range's ends by binary
     * search, so a contact's count and last message in any range cost two lookups in its row, and
     * segments read one row per contact. Per channel in a table of its own, so a report over every
     * channel reads no channel rows.
     */
    this.addSql(`create table "analytics_contact_timeline" ("organization_id" uuid not null, "contact_id" uuid not null, "message_times" timestamptz[] not null, "message_totals" int[] not null, "last_message_at" timestamptz not null, constraint "analytics_contact_timeline_pkey" primary key ("organization_id", "contact_id"));`);
    // Contacts silent since before a range start are skipped without being read.
    this.addSql(`create index "analytics_contact_timeline_last_message_at_index" on "analytics_contact_timeline" ("organization_id", "last_message_at");`);
    this.addSql(`alter table "analytics_contact_timeline" add constraint "analytics_contact_timeline_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "analytics_contact_timeline" add constraint "analytics_contact_timeline_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on update cascade on delete cascade;`);
    this.addSql(`create table "analytics_contact_channel_timeline" ("organization_id" uuid not null, "contact_id" uuid not null, "channel_id" uuid not null, "message_times" timestamptz[] not null, "message_totals" int[] not null, "last_message_at" timestamptz not null, constraint "analytics_contact_channel_timeline_pkey" primary key ("organization_id", "contact_id", "channel_id"));`);
    this.addSql(`create index "analytics_contact_channel_timeline_last_message_at_index" on "analytics_contact_channel_timeline" ("organization_id", "channel_id", "last_message_at");`);
    this.addSql(`alter table "analytics_contact_channel_timeline" add constraint "analytics_contact_channel_timeline_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "analytics_contact_channel_timeline" add constraint "analytics_contact_channel_timeline_channel_id_foreign" foreign key ("channel_id") references "channel" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "analytics_contact_channel_timeline" add constraint "analytics_contact_channel_timeline_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on update cascade on delete cascade;`);

    // Conversations opened and closed in a quarter hour, read without touching the message events.
    this.addSql(`create index "conversation_event_lifecycle_index" on "conversation_event" ("organization_id", "created_at") where "type" in ('CONVERSATION_OPENED', 'STATUS_CHANGED');`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "conversation_event_lifecycle_index";`);
    this.addSql(`drop table if exists "analytics_contact_channel_timeline";`);
    this.addSql(`drop table if exists "analytics_contact_timeline";`);
    this.addSql(`drop table if exists "analytics_contact_activity";`);
    this.addSql(`drop table if exists "analytics_activity";`);
  }
}
