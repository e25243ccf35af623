import { Migration } from '@mikro-orm/migrations';

/** Analytics: message activity per quarter hour. */
export class Migration20261122050200ActivityAnalytics extends Migration {
  override async up(): Promise<void> {}

  override async down(): Promise<void> {}
}
