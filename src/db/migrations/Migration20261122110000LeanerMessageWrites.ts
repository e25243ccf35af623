import { Migration } from '@mikro-orm/migrations';

/**
 * Fewer index writes for the busiest tables.
 *
 * - The `organization_id` indexes of message, conversation and contact go: each table has another
 *   index that starts with `organization_id` (by creation time, by latest message, the unique
 *   `(organization_id, wa_id)`), which serves every lookup and cascade by organization as well.
 *   Every insert, and every update of these rows that cannot be HOT, wrote to them for nothing.
 *   (TenantEntity still declares the index for every tenant table; these three keep a wider one.)
 * - Messages are stored with room left on each page (fillfactor 80). An outbound message is
 *   updated right after it is written, when the send claims it (`send_state`, attempts, start
 *   time: no indexed column), and with room on its page that update is HOT: a new row version on
 *   the same page, no index entry at all, instead of one in each of the table's seven indexes.
 */
const REDUNDANT = [
  { table: 'message', index: 'message_organization_id_index' },
  { table: 'conversation', index: 'conversation_organization_id_index' },
  { table: 'contact', index: 'contact_organization_id_index' },
];

export class Migration20261122110000LeanerMessageWrites extends Migration {
  override async up(): Promise<void> {
    for (const { index } of REDUNDANT) this.addSql(`drop index if exists "${index}";`);
    this.addSql(`alter table "message" set (fillfactor = 80);`);
  }

  override async down(): Promise<void> {
    for (const { table, index } of REDUNDANT) this.addSql(`create index "${index}" on "${table}" ("organization_id");`);
    this.addSql(`alter table "message" reset (fillfactor);`);
  }
}
