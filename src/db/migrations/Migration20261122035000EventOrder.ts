import { Migration } from '@mikro-orm/migrations';

/**
 * Meta's time of the latest applied business event, per kind of event, on templates and channels:
 * a late or replayed older event (out of order, retried for days) never undoes a newer one.
 */
export class Migration20261122035000EventOrder extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "template" add column "event_times" jsonb null;`);
    this.addSql(`alter table "channel" add column "event_times" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "template" drop column "event_times";`);
    this.addSql(`alter table "channel" drop column "event_times";`);
  }
}
