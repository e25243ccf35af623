import { Migration } from '@mikro-orm/migrations';

/**
 * Quarter hours whose rollups the refresher owes: it rebuilds a quarter hour once it has ended, not
 * on every pass while it is still being written (reports read the open one from the raw rows).
 */
export class Migration20261122120000AnalyticsPendingBuckets extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "analytics_pending_bucket" ("organization_id" uuid not null, "bucket" timestamptz not null, constraint "analytics_pending_bucket_pkey" primary key ("bucket", "organization_id"));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table "analytics_pending_bucket";`);
  }
}
