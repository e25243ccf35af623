import { Migration } from '@mikro-orm/migrations';

/**
 * Drops the foreign keys of the busiest tables that another key already implies.
 *
 * A message and a conversation event belong to a conversation, whose own keys hold its
 * organization and channel; the row's `organization_id` (and a message's `channel_id`) are copies
 * kept for filtering. Their own keys checked nothing the conversation's key does not: deleting an
 * organization or a channel still removes these rows, through the conversation's cascade. But each
 * check ran a query and locked the organization's (or channel's) row, shared by every transaction
 * writing for it at the same time: 10 such checks per message through a flow (bench:flow,
 * pg_stat_statements), about a tenth of PostgreSQL's statement time with the conversation checks.
 * (The entities still declare the relations: MikroORM reads them to join, and the keys it would
 * create stay dropped here, as Migration20261122110000LeanerMessageWrites does for indexes.)
 */
const REDUNDANT = [
  { table: 'message', name: 'message_organization_id_foreign', column: 'organization_id', references: 'organization' },
  { table: 'message', name: 'message_channel_id_foreign', column: 'channel_id', references: 'channel' },
  { table: 'conversation_event', name: 'conversation_event_organization_id_foreign', column: 'organization_id', references: 'organization' },
];

export class Migration20261123000000DropRedundantForeignKeys extends Migration {
  override async up(): Promise<void> {
    for (const { table, name } of REDUNDANT) this.addSql(`alter table "${table}" drop constraint if exists "${name}";`);
  }

  override async down(): Promise<void> {
    for (const { table, name, column, references } of REDUNDANT) {
      this.addSql(
        `alter table "${table}" add constraint "${name}" foreign key ("${column}") references "${references}" ("id") on update cascade on delete cascade;`,
      );
    }
  }
}
