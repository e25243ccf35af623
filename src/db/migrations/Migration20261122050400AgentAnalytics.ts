import { Migration } from '@mikro-orm/migrations';

/**
 * Analytics: agent handling episodes, facts the refresher derives per conversation from the event
 * log (services/analytics/agents/agent-facts.builder.ts). agentMetrics reads only these tables.
 */
export class Migration20261122050400AgentAnalytics extends Migration {
  override async up(): Promise<void> {
    // One row per stretch of a conversation that needed a person: from waiting_since until it was
    // closed or given back to the bot (ended_at null: still open). Durations are stored so the
    // common report (no business hours) aggregates plain columns. Member ids come from the log's
    // JSON: no foreign key to "user", so one odd id can never stall the refresher.
    this.addSql(`create table "analytics_agent_episode" (
      "conversation_id" uuid not null,
      "seq" int not null,
      "organization_id" uuid not null,
      "channel_id" uuid not null,
      "agent_id" uuid null,
      "started_by" varchar(16) not null,
      "waiting_since" timestamptz not null,
      "first_response_at" timestamptz null,
      "first_response_by" uuid null,
      "resolved_at" timestamptz null,
      "ended_at" timestamptz null,
      "end_reason" varchar(16) null,
      "agent_messages" int not null default 0,
      "agent_own_messages" int not null default 0,
      "first_response_seconds" double precision null,
      "resolution_seconds" double precision null,
      "previous_same_agent_at" timestamptz null,
      "previous_attributed_at" timestamptz null,
      constraint "analytics_agent_episode_pkey" primary key ("conversation_id", "seq"),
      constraint "analytics_agent_episode_started_by_check" check ("started_by" in ('INBOUND', 'HANDOFF', 'ASSIGNED', 'REOPENED')),
      constraint "analytics_agent_episode_end_reason_check" check ("end_reason" in ('CLOSED', 'BOT'))
    );`);
    this.addSql(`alter table "analytics_agent_episode" add constraint "analytics_agent_episode_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "analytics_agent_episode" add constraint "analytics_agent_episode_conversation_id_foreign" foreign key ("conversation_id") references "conversation" ("id") on update cascade on delete cascade;`);
    // agentMetrics groups per agent and computes percentiles per group. Over a long range it reads
    // this index in agent order (index-only), so the grouping needs no sort: EXPLAIN ANALYZE over
    // 60,000 episodes in 60 days gave Index Only Scan -> GroupAggregate with no Sort node, where
    // (organization_id, waiting_since) alone needed a Sort of every row by agent first (spilling to
    // disk at the default work_mem). Both indexes carry the report's columns (index-only scans).
    const reportColumns = `"channel_id", "agent_messages", "agent_own_messages", "first_response_seconds", "resolution_seconds",
      "first_response_at", "resolved_at", "previous_same_agent_at", "previous_attributed_at"`;
    this.addSql(`create index "analytics_agent_episode_report_index" on "analytics_agent_episode" ("organization_id", "agent_id", "waiting_since") include (${reportColumns});`);
    // A short range (a day, a week) would otherwise read every episode of the organization in the
    // index above (its second column is the agent): this one finds them by time, then sorts a few.
    this.addSql(`create index "analytics_agent_episode_time_index" on "analytics_agent_episode" ("organization_id", "waiting_since") include ("agent_id", ${reportColumns});`);

    // Members who wrote in an episode attributed to someone else (a colleague helping): their
    // messages count in their own messagesSent. Rare, so this stays small; episode columns are
    // repeated so the report reads it alone.
    this.addSql(`create table "analytics_agent_episode_helper" (
      "conversation_id" uuid not null,
      "seq" int not null,
      "user_id" uuid not null,
      "organization_id" uuid not null,
      "channel_id" uuid not null,
      "waiting_since" timestamptz not null,
      "messages" int not null,
      constraint "analytics_agent_episode_helper_pkey" primary key ("conversation_id", "seq", "user_id")
    );`);
    this.addSql(`alter table "analytics_agent_episode_helper" add constraint "analytics_agent_episode_helper_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "analytics_agent_episode_helper" add constraint "analytics_agent_episode_helper_conversation_id_foreign" foreign key ("conversation_id") references "conversation" ("id") on update cascade on delete cascade;`);
    this.addSql(`create index "analytics_agent_episode_helper_report_index" on "analytics_agent_episode_helper" ("organization_id", "waiting_since") include ("channel_id", "user_id", "messages");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "analytics_agent_episode_helper";`);
    this.addSql(`drop table if exists "analytics_agent_episode";`);
  }
}
