import { Migration } from '@mikro-orm/migrations';

/**
 * Reports read these tables by index-only scans, which skip the heap only on pages the visibility map
 * marks all-visible: vacuum after 5% churn instead of 20%, as the refresher rewrites recent sessions.
 */
const VISIBILITY_FRIENDLY = 'autovacuum_vacuum_scale_factor = 0.05, autovacuum_vacuum_insert_scale_factor = 0.05';

/**
 * Analytics: flow sessions and node visits, facts the refresher derives per conversation from the
 * BOT events and messages (services/analytics/flows/flow-facts.builder.ts). Reports read only these.
 */
export class Migration20261122050100FlowAnalytics extends Migration {
  override async up(): Promise<void> {
    // One row per bot session; the id is the conversation_event id of the node_entered that started it.
    this.addSql(`create table "analytics_flow_session" (
      "id" bigint not null,
      "organization_id" uuid not null,
      "conversation_id" uuid not null,
      "channel_id" uuid not null,
      "contact_id" uuid not null,
      "flow_id" uuid not null,
      "flow_version" int not null,
      "started_at" timestamptz not null,
      "last_activity_at" timestamptz not null,
      "ended_at" timestamptz null,
      "expires_at" timestamptz null,
      "outcome" varchar(16) not null,
      "end_node_id" varchar(100) null,
      "inbound_messages" int not null default 0,
      "outbound_messages" int not null default 0,
      constraint "analytics_flow_session_pkey" primary key ("id"),
      constraint "analytics_flow_session_outcome_check" check ("outcome" in ('completed', 'handed_off', 'abandoned', 'active'))
    ) with (${VISIBILITY_FRIENDLY});`);
    this.addSql(`alter table "analytics_flow_session" add constraint "analytics_flow_session_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "analytics_flow_session" add constraint "analytics_flow_session_conversation_id_foreign" foreign key ("conversation_id") references "conversation" ("id") on update cascade on delete cascade;`);
    // flowReport: one flow's sessions started in a range, read by an index-only scan (EXPLAIN over 150,000
    // sessions: 7,500 rows of a flow in 60 days sat on 3,300 heap pages, 30-90 ms; covered, 120 pages and 4 ms).
    this.addSql(`create index "analytics_flow_session_report_index" on "analytics_flow_session" ("organization_id", "flow_id", "started_at")
      include ("flow_version", "channel_id", "outcome", "expires_at", "last_activity_at", "inbound_messages", "outbound_messages");`);
    // The builder deletes a conversation's sessions before deriving them again.
    this.addSql(`create index "analytics_flow_session_conversation_id_index" on "analytics_flow_session" ("conversation_id");`);

    // One row per session and node entered. Session columns are repeated so the funnel reads this table alone.
    // previous_session_started_at: the start of the conversation's previous session of this flow version that
    // entered the node; a row is its conversation's first in a range when that is null or before the range.
    this.addSql(`create table "analytics_flow_node_visit" (
      "session_id" bigint not null,
      "node_id" varchar(100) not null,
      "organization_id" uuid not null,
      "channel_id" uuid not null,
      "flow_id" uuid not null,
      "flow_version" int not null,
      "session_started_at" timestamptz not null,
      "previous_session_started_at" timestamptz null,
      "visits" int not null,
      "first_entered_at" timestamptz not null,
      "validation_failures" int not null default 0,
      "retries" int not null default 0,
      "exit_continued" int not null default 0,
      "exit_retried" int not null default 0,
      "exit_validation_failed" int not null default 0,
      "exit_abandoned" int not null default 0,
      "exit_handed_off" int not null default 0,
      "exit_ended" int not null default 0,
      "waiting_until" timestamptz null,
      "seconds_to_answer" double precision null,
      "delivery_failed" boolean not null default false,
      constraint "analytics_flow_node_visit_pkey" primary key ("session_id", "node_id")
    ) with (${VISIBILITY_FRIENDLY});`);
    // Organization and conversation deletes reach these rows through their session.
    this.addSql(`alter table "analytics_flow_node_visit" add constraint "analytics_flow_node_visit_session_id_foreign" foreign key ("session_id") references "analytics_flow_session" ("id") on update cascade on delete cascade;`);
    // flowFunnel: one version's node rows for sessions started in a range, index-only and hash-aggregated
    // (EXPLAIN over 750,000 rows, 45,000 for one version in 60 days: 8,200 heap pages and a spilled sort,
    // 270 ms; covered, 940 index pages and no sort). `previous_session_started_at` makes distinct
    // conversations a plain count, so nothing but the median needs a sort.
    this.addSql(`create index "analytics_flow_node_visit_funnel_index" on "analytics_flow_node_visit" ("organization_id", "flow_id", "flow_version", "session_started_at")
      include ("node_id", "channel_id", "previous_session_started_at", "visits", "validation_failures", "retries", "exit_continued", "exit_retried",
        "exit_validation_failed", "exit_abandoned", "exit_handed_off", "exit_ended", "waiting_until", "delivery_failed");`);
    // The median time to answer sorts only the answered rows.
    this.addSql(`create index "analytics_flow_node_visit_answer_index" on "analytics_flow_node_visit" ("organization_id", "flow_id", "flow_version", "session_started_at")
      include ("node_id", "channel_id", "seconds_to_answer") where "seconds_to_answer" is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "analytics_flow_node_visit";`);
    this.addSql(`drop table if exists "analytics_flow_session";`);
  }
}
