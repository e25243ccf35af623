import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';
import { Organization } from './organization.entity';
import { Conversation } from './conversation.entity';

export enum ConversationEventType {
  MESSAGE_RECEIVED = 'MESSAGE_RECEIVED',
  MESSAGE_SENT = 'MESSAGE_SENT',
  MESSAGE_STATUS_CHANGED = 'MESSAGE_STATUS_CHANGED',
  REACTION = 'REACTION',
  CONVERSATION_OPENED = 'CONVERSATION_OPENED',
  STATUS_CHANGED = 'STATUS_CHANGED',
  ASSIGNED = 'ASSIGNED',
  BOT = 'BOT',
  ERROR = 'ERROR',
  /** The 24-hour window closes within the hour (added by Migration20261122040000Live). */
  WINDOW_CLOSING_SOON = 'WINDOW_CLOSING_SOON',
}

/**
 * The immutable log of everything that happens in a conversation. The bigserial id orders it as
 * written (transcripts, analytics); `seq` orders it as committed and is the resume cursor of live
 * feeds (given shortly after the commit by the EventSequencer; null until then). The seq indexes
 * leave out unsequenced rows (Migration20261122100000PartialEventSeqIndexes).
 */
@Entity()
@Index({ properties: ['conversation', 'id'] })
@Index({
  name: 'conversation_event_conversation_id_seq_index',
  expression: 'create index "conversation_event_conversation_id_seq_index" on "conversation_event" ("conversation_id", "seq") where "seq" is not null',
})
@Index({
  name: 'conversation_event_organization_id_seq_index',
  expression: 'create index "conversation_event_organization_id_seq_index" on "conversation_event" ("organization_id", "seq") where "seq" is not null',
})
@Unique({
  name: 'conversation_event_seq_unique',
  expression: 'create unique index "conversation_event_seq_unique" on "conversation_event" ("seq") where "seq" is not null',
})
export class ConversationEvent {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @ManyToOne(() => Organization, { deleteRule: 'cascade' })
  organization!: Rel<Organization>;

  @ManyToOne(() => Conversation, { deleteRule: 'cascade' })
  conversation!: Rel<Conversation>;

  @Enum({ items: () => ConversationEventType, nativeEnumName: 'conversation_event_type' })
  type!: ConversationEventType;

  @Property({ type: 'bigint', nullable: true })
  seq?: string | null;

  @Property({ type: 'json' })
  data!: Record<string, unknown>;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
