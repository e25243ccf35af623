import { Entity, Enum, ManyToOne, Property, Unique, type Rel } from '@mikro-orm/core';
import { Flow } from './flow.entity';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { TenantEntity } from './tenant.entity';

/** Meta's phone number quality rating. */
export enum QualityRating {
  GREEN = 'GREEN',
  YELLOW = 'YELLOW',
  RED = 'RED',
  UNKNOWN = 'UNKNOWN',
}

/** Meta's messaging limit: unique users outside a service window per 24 h. */
export enum MessagingLimitTier {
  TIER_50 = 'TIER_50',
  TIER_250 = 'TIER_250',
  TIER_1K = 'TIER_1K',
  TIER_2K = 'TIER_2K',
  TIER_10K = 'TIER_10K',
  TIER_100K = 'TIER_100K',
  UNLIMITED = 'UNLIMITED',
  NOT_SET = 'NOT_SET',
}

registerEnumType(QualityRating, { name: 'QualityRating' });
registerEnumType(MessagingLimitTier, { name: 'MessagingLimitTier' });

/** One WhatsApp business phone number. Inbound webhooks are routed here by `phoneNumberId`. */
@ObjectType()
@Entity()
export class Channel extends TenantEntity<
  'qualityRating' | 'messagingLimitTier' | 'throughputPerSecond' | 'name' | 'accountEvent' | 'accountRestriction' | 'accountUpdatedAt' | 'defaultFlow' | 'eventTimes'
> {
  @Field({ description: "Meta's phone_number_id" })
  @Unique()
  @Property({ length: 64 })
  phoneNumberId!: string;

  @Field({ description: 'WhatsApp Business Account id' })
  @Property({ length: 64 })
  wabaId!: string;

  @Field()
  @Property({ length: 32 })
  displayPhoneNumber!: string;

  @Field(() => String, { nullable: true })
  @Property({ length: 200, nullable: true })
  name?: string | null;

  /** AES-256-GCM ciphertext of the Graph API token (see auth/secret-box.ts); never exposed. */
  @Property({ type: 'text', hidden: true })
  accessTokenEncrypted!: string;

  @Field(() => QualityRating)
  @Enum({ items: () => QualityRating, nativeEnumName: 'quality_rating' })
  qualityRating: QualityRating = QualityRating.UNKNOWN;

  @Field(() => MessagingLimitTier)
  @Enum({ items: () => MessagingLimitTier, nativeEnumName: 'messaging_limit_tier' })
  messagingLimitTier: MessagingLimitTier = MessagingLimitTier.NOT_SET;

  /** Messages a second Meta allows this number (80 by default, up to 1,000). */
  @Field(() => Int)
  @Property({ type: 'integer' })
  throughputPerSecond: number = 80;

  /** Latest account_update event Meta sent for this number's business account (e.g. ACCOUNT_RESTRICTION). */
  @Field(() => String, { nullable: true })
  @Property({ length: 64, nullable: true })
  accountEvent?: string | null;

  /** Restriction, violation or ban details of that event; null once lifted. */
  @Field(() => GraphQLJSONObject, { nullable: true })
  @Property({ type: 'json', nullable: true })
  accountRestriction?: Record<string, unknown> | null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  accountUpdatedAt?: Date | null;

  /** The flow a conversation starts on when no keyword matches; none: conversations wait for an agent. */
  @ManyToOne(() => Flow, { nullable: true, deleteRule: 'set null' })
  defaultFlow?: Rel<Flow> | null;

  /** Meta's time (ISO) of the latest applied event per webhook field: older ones are skipped. */
  @Property({ type: 'json', nullable: true })
  eventTimes?: Record<string, string> | null;
}
