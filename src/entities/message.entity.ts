import { Entity, Enum, Index, ManyToOne, Property, type Rel } from '@mikro-orm/core';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { MessageStatus } from '../domain/message-status';
import { Channel } from './channel.entity';
import { Template } from './template.entity';
import { Flow } from './flow.entity';
import { User } from './user.entity';
import { Conversation } from './conversation.entity';
import { TenantEntity } from './tenant.entity';

export enum MessageDirection {
  IN = 'IN',
  OUT = 'OUT',
}

/** Meta's message types; anything newer is UNKNOWN and kept raw. */
export enum MessageType {
  TEXT = 'TEXT',
  IMAGE = 'IMAGE',
  VIDEO = 'VIDEO',
  AUDIO = 'AUDIO',
  DOCUMENT = 'DOCUMENT',
  STICKER = 'STICKER',
  LOCATION = 'LOCATION',
  CONTACTS = 'CONTACTS',
  INTERACTIVE = 'INTERACTIVE',
  BUTTON = 'BUTTON',
  REACTION = 'REACTION',
  TEMPLATE = 'TEMPLATE',
  ORDER = 'ORDER',
  SYSTEM = 'SYSTEM',
  UNSUPPORTED = 'UNSUPPORTED',
  UNKNOWN = 'UNKNOWN',
}

/** Where an outbound message is in the send protocol (see services/outbound/send-message.service.ts). */
export enum SendState {
  PENDING = 'PENDING',
  IN_FLIGHT = 'IN_FLIGHT',
  UNCERTAIN = 'UNCERTAIN',
  DONE = 'DONE',
}

/** Who wrote a message. */
export enum AuthorKind {
  CUSTOMER = 'CUSTOMER',
  AGENT = 'AGENT',
  API = 'API',
  BOT = 'BOT',
  SYSTEM = 'SYSTEM',
}

registerEnumType(MessageDirection, { name: 'MessageDirection' });
registerEnumType(AuthorKind, { name: 'AuthorKind' });
registerEnumType(MessageType, { name: 'MessageType' });
registerEnumType(MessageStatus, { name: 'MessageStatus' });

/** One message in or out. Inbound ones are deduplicated by Meta's `wamid`. */
@ObjectType()
@Entity()
@Index({ properties: ['conversation', 'createdAt', 'id'] })
export class Message extends TenantEntity<
  | 'wamid' | 'text' | 'media' | 'location' | 'replyToWamid' | 'reaction' | 'context' | 'referral' | 'status'
  | 'sentAt' | 'deliveredAt' | 'readAt' | 'playedAt' | 'failedAt' | 'errorCode' | 'errorTitle' | 'errorDetails'
  | 'pricingCategory' | 'pricingModel' | 'sentAtMeta' | 'sendState' | 'sendAttempts' | 'sendStartedAt'
  | 'authorKind' | 'authorUser' | 'template' | 'flow' | 'flowVersion' | 'flowNodeId'
> {
  @ManyToOne(() => Conversation, { deleteRule: 'cascade' })
  conversation!: Rel<Conversation>;

  @ManyToOne(() => Channel, { deleteRule: 'cascade' })
  channel!: Rel<Channel>;

  @Field(() => String, { nullable: true, description: "Meta's message id" })
  @Property({ length: 255, nullable: true, unique: true })
  wamid?: string | null;

  @Field(() => MessageDirection)
  @Enum({ items: () => MessageDirection, nativeEnumName: 'message_direction' })
  direction!: MessageDirection;

  @Field(() => MessageType)
  @Enum({ items: () => MessageType, nativeEnumName: 'message_type' })
  type!: MessageType;

  /** Text body, caption, button or list reply title: what a chat bubble shows. Stored exactly. */
  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  text?: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Media metadata: id, mime_type, sha256, caption, filename, voice' })
  @Property({ type: 'json', nullable: true })
  media?: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'latitude, longitude, name, address, url' })
  @Property({ type: 'json', nullable: true })
  location?: Record<string, unknown> | null;

  @Field(() => String, { nullable: true, description: 'wamid of the message this one replies to' })
  @Property({ length: 255, nullable: true })
  replyToWamid?: string | null;

  /** The customer's latest reaction to this message (null once removed). */
  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  reaction?: string | null;

  /** Forwarding and product context, as Meta sent it. */
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Forwarding and product context as Meta sent it' })
  @Property({ type: 'json', nullable: true })
  context?: Record<string, unknown> | null;

  /** Click-to-WhatsApp ad referral, as Meta sent it. */
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Click-to-WhatsApp ad referral as Meta sent it' })
  @Property({ type: 'json', nullable: true })
  referral?: Record<string, unknown> | null;

  /** The raw Meta JSON of the message. */
  @Field(() => GraphQLJSONObject, { description: 'The raw Meta JSON' })
  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  @Field(() => MessageStatus)
  @Enum({ items: () => MessageStatus, nativeEnumName: 'message_status' })
  status: MessageStatus = MessageStatus.RECEIVED;

  /** Meta's timestamp of the message (inbound) or of its acceptance (outbound). */
  @Property({ type: 'timestamptz', nullable: true })
  sentAtMeta?: Date | null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  sentAt?: Date | null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  deliveredAt?: Date | null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  readAt?: Date | null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  playedAt?: Date | null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  failedAt?: Date | null;

  @Field(() => String, { nullable: true, description: "Meta's error code when FAILED" })
  @Property({ type: 'text', nullable: true })
  errorCode?: string | null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  errorTitle?: string | null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  errorDetails?: string | null;

  @Field(() => String, { nullable: true, description: "Meta's pricing category (service, marketing, ...)" })
  @Property({ type: 'text', nullable: true })
  pricingCategory?: string | null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  pricingModel?: string | null;

  @Enum({ items: () => SendState, nativeEnumName: 'send_state', nullable: true })
  sendState?: SendState | null;

  @Property({ type: 'integer' })
  sendAttempts: number = 0;

  @Property({ type: 'timestamptz', nullable: true })
  sendStartedAt?: Date | null;

  @Field(() => AuthorKind)
  @Enum({ items: () => AuthorKind, nativeEnumName: 'author_kind' })
  authorKind: AuthorKind = AuthorKind.CUSTOMER;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  authorUser?: Rel<User> | null;

  @ManyToOne(() => Template, { nullable: true, deleteRule: 'set null' })
  template?: Rel<Template> | null;

  /** The flow, version and node that sent a bot message: delivery per node and drop-off read them. */
  @ManyToOne(() => Flow, { nullable: true, deleteRule: 'set null' })
  flow?: Rel<Flow> | null;

  @Property({ type: 'integer', nullable: true })
  flowVersion?: number | null;

  @Property({ length: 100, nullable: true })
  flowNodeId?: string | null;
}
