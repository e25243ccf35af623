import { Migration } from '@mikro-orm/migrations';

/** Analytics: delivery funnel per quarter hour. */
export class Migration20261122050300DeliveryAnalytics extends Migration {
  override async up(): Promise<void> {}

  override async down(): Promise<void> {}
}
