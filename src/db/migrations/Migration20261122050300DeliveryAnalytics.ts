import { Migration } from '@mikro-orm/migrations';

/** What every delivery rollup row is kept by: its time span, and who sent the messages over which channel. */
const DIMENSIONS = `
  "organization_id" uuid not null,
  "span_minutes" int not null,
  "bucket" timestamptz not null,
  "channel_id" uuid not null,
  "template_id" uuid null,
  "flow_id" uuid null,
  "flow_version" int null,
  "flow_node_id" varchar(100) null`;

const SPANS = '15, 1440, 11520, 92160';

/**
 * Analytics: the delivery funnel of outbound messages, counted by the time span holding their
 * `created_at`: quarter hours (UTC), and days, 8-day and 64-day blocks summed from them (see
 * services/analytics/delivery/delivery-spans.ts for why).
 *
 * The pricing category Meta reported is a dimension of the counters rather than a table of its
 * own: a template or flow node is priced one way, so it adds few rows, and one scan answers both.
 *
 * Channels, templates and flows are never deleted (only archived), so the tables refer to them
 * without foreign keys: a cascade or set-null there would scan the rollups for each deleted row.
 * Reports join them, and a row whose template or flow is gone drops out exactly as the raw
 * message (whose reference is set null) does.
 */
export class Migration20261122050300DeliveryAnalytics extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "analytics_delivery" (${DIMENSIONS},
      "pricing_category" varchar(64) null,
      "queued" int not null, "sent" int not null, "delivered" int not null, "read" int not null, "replied" int not null, "failed" int not null,
      constraint "analytics_delivery_span_check" check ("span_minutes" in (${SPANS})));`);
    // Failed messages by Meta's error code and title (null for failures of ours that have none).
    this.addSql(`create table "analytics_delivery_failure" (${DIMENSIONS},
      "error_code" varchar(32) null, "error_title" text null, "failed" int not null,
      constraint "analytics_delivery_failure_span_check" check ("span_minutes" in (${SPANS})));`);
    for (const table of ['analytics_delivery', 'analytics_delivery_failure']) {
      this.addSql(`alter table "${table}" add constraint "${table}_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
      // Reports read a few spans' rows by (span, start); rebuilds delete by the same key.
      this.addSql(`create index "${table}_organization_id_span_minutes_bucket_index" on "${table}" ("organization_id", "span_minutes", "bucket");`);
    }
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "analytics_delivery_failure";`);
    this.addSql(`drop table if exists "analytics_delivery";`);
  }
}
