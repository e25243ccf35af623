import { Migration } from '@mikro-orm/migrations';

/**
 * Meta's error codes are stored on the message as text of any length; the delivery rollup held
 * them in 32 characters, so one odd code in a webhook would fail every refresh that touched it.
 */
export class Migration20261122060000FailureCodeText extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "analytics_delivery_failure" alter column "error_code" type text;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "analytics_delivery_failure" alter column "error_code" type varchar(32) using left("error_code", 32);`);
  }
}
