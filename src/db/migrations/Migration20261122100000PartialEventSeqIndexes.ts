import { Migration } from '@mikro-orm/migrations';

/**
 * The three `conversation_event.seq` indexes leave out the rows not sequenced yet. Every query on
 * them asks for a seq (`seq > ?`, `max(seq)`), which PostgreSQL knows implies `seq is not null`, so
 * they serve the same queries; but an event no longer costs three index insertions with a null seq
 * when it is written and three more when the EventSequencer gives it its seq a moment later.
 */
const INDEXES = [
  { name: 'conversation_event_seq_unique', unique: true, columns: '"seq"' },
  { name: 'conversation_event_organization_id_seq_index', unique: false, columns: '"organization_id", "seq"' },
  { name: 'conversation_event_conversation_id_seq_index', unique: false, columns: '"conversation_id", "seq"' },
];

export class Migration20261122100000PartialEventSeqIndexes extends Migration {
  override async up(): Promise<void> {
    for (const { name, unique, columns } of INDEXES) {
      this.addSql(`drop index "${name}";`);
      this.addSql(`create ${unique ? 'unique ' : ''}index "${name}" on "conversation_event" (${columns}) where "seq" is not null;`);
    }
  }

  override async down(): Promise<void> {
    for (const { name, unique, columns } of INDEXES) {
      this.addSql(`drop index "${name}";`);
      this.addSql(`create ${unique ? 'unique ' : ''}index "${name}" on "conversation_event" (${columns});`);
    }
  }
}
