import { Migration } from '@mikro-orm/migrations';

/** Analytics: flow sessions and node visits. */
export class Migration20261122050100FlowAnalytics extends Migration {
  override async up(): Promise<void> {}

  override async down(): Promise<void> {}
}
