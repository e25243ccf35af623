import { Migration } from '@mikro-orm/migrations';

/** Live feeds: the WINDOW_CLOSING_SOON event, and which window expiry agents were already warned about. */
export class Migration20261122040000Live extends Migration {
  override async up(): Promise<void> {
    // Allowed in a transaction since PostgreSQL 12, as long as the value is not used in the same one.
    this.addSql(`alter type "conversation_event_type" add value if not exists 'WINDOW_CLOSING_SOON';`);
    this.addSql(`alter table "conversation" add column "window_warned_for" timestamptz null;`);
    // The warning sweep reads open windows by their deadline.
    this.addSql(`create index "conversation_window_expires_at_index" on "conversation" ("window_expires_at") where "window_expires_at" is not null;`);
  }

  override async down(): Promise<void> {
    // PostgreSQL cannot drop an enum value; WINDOW_CLOSING_SOON stays, unused.
    this.addSql(`drop index if exists "conversation_window_expires_at_index";`);
    this.addSql(`alter table "conversation" drop column "window_warned_for";`);
  }
}
