import { Entity, Enum, Index, ManyToOne, Property, Unique, type Rel } from '@mikro-orm/core';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Channel } from './channel.entity';
import { Contact } from './contact.entity';
import { TenantEntity } from './tenant.entity';
import { User } from './user.entity';

export enum ConversationStatus {
  BOT = 'BOT',
  WAITING_AGENT = 'WAITING_AGENT',
  WITH_AGENT = 'WITH_AGENT',
  CLOSED = 'CLOSED',
}

registerEnumType(ConversationStatus, { name: 'ConversationStatus' });

/** The thread between one channel and one contact. */
@ObjectType()
@Entity()
@Unique({ properties: ['channel', 'contact'] })
@Index({ properties: ['organization', 'lastMessageAt', 'id'] })
export class Conversation extends TenantEntity<
  'status' | 'assignedTo' | 'lastInboundAt' | 'windowExpiresAt' | 'lastMessageAt' | 'lastMessageId' | 'botState' | 'botExpiresAt' | 'windowWarnedFor'
> {
  @ManyToOne(() => Channel, { deleteRule: 'cascade' })
  channel!: Rel<Channel>;

  @Index()
  @ManyToOne(() => Contact, { deleteRule: 'cascade' })
  contact!: Rel<Contact>;

  @Field(() => ConversationStatus)
  @Enum({ items: () => ConversationStatus, nativeEnumName: 'conversation_status' })
  status: ConversationStatus = ConversationStatus.WAITING_AGENT;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  assignedTo?: Rel<User> | null;

  /** Meta's timestamp of the customer's latest message: the 24-hour window runs from it. */
  @Property({ type: 'timestamptz', nullable: true })
  lastInboundAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  windowExpiresAt?: Date | null;

  /** The window expiry agents were last warned about (WINDOW_CLOSING_SOON): one warning per window. */
  @Property({ type: 'timestamptz', nullable: true })
  windowWarnedFor?: Date | null;

  /** Time of the latest message (creation time until there is one): the inbox order. */
  @Field()
  @Property({ type: 'timestamptz' })
  lastMessageAt: Date = new Date();

  /** Kept on the row so a page of conversations shows its latest message without a scan. */
  @Property({ type: 'uuid', nullable: true })
  lastMessageId?: string | null;

  /** The bot session (flow, version, node, variables, path), or null when no bot runs. */
  @Property({ type: 'json', nullable: true })
  botState?: Record<string, unknown> | null;

  /** The bot session ends after this much inactivity (the flow's sessionTtlMinutes). */
  @Property({ type: 'timestamptz', nullable: true })
  botExpiresAt?: Date | null;
}
