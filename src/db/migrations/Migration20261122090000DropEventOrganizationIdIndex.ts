import { Migration } from '@mikro-orm/migrations';

/**
 * Drops `conversation_event (organization_id, id)`. Since live feeds read by `seq`, every query that
 * filters events by organization alone uses `(organization_id, seq)`, and the transcript reads by
 * conversation. The index cost every event two index insertions (the insert, and the update that
 * gives it its seq), on the hottest table of the service.
 */
export class Migration20261122090000DropEventOrganizationIdIndex extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop index if exists "conversation_event_organization_id_id_index";`);
  }

  override async down(): Promise<void> {
    this.addSql(`create index "conversation_event_organization_id_id_index" on "conversation_event" ("organization_id", "id");`);
  }
}
