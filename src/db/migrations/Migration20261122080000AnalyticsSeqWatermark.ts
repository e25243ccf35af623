import { Migration } from '@mikro-orm/migrations';

/**
 * The analytics refresher's mark becomes a `conversation_event.seq` (commit order) instead of an id
 * (insert order). With ids, a transaction committing late could show an id below the mark, so each
 * pass looked 500 ids back and could still miss a later one; every event above a seq mark is new.
 * The mark starts at the lowest seq of the events in the old look-back, so nothing the old
 * refresher might have missed is skipped; rebuilding what it did apply again is harmless.
 */
export class Migration20261122080000AnalyticsSeqWatermark extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "analytics_refresh_state" add column "last_seq" bigint not null default 0;`);
    this.addSql(
      `update "analytics_refresh_state" set "last_seq" = coalesce(
         (select min(e."seq") - 1 from "conversation_event" e where e."id" > "analytics_refresh_state"."last_event_id" - 500 and e."seq" is not null),
         (select max(e."seq") from "conversation_event" e where e."id" <= "analytics_refresh_state"."last_event_id"),
         0);`,
    );
    this.addSql(`alter table "analytics_refresh_state" drop column "last_event_id";`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "analytics_refresh_state" add column "last_event_id" bigint not null default 0;`);
    this.addSql(
      `update "analytics_refresh_state" set "last_event_id" = coalesce((select max(e."id") from "conversation_event" e where e."seq" <= "analytics_refresh_state"."last_seq"), 0);`,
    );
    this.addSql(`alter table "analytics_refresh_state" drop column "last_seq";`);
  }
}
