import { Migration } from '@mikro-orm/migrations';

/** Analytics: agent handling episodes. */
export class Migration20261122050400AgentAnalytics extends Migration {
  override async up(): Promise<void> {}

  override async down(): Promise<void> {}
}
