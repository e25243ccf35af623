import { Entity, Index, Property, Unique } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { TenantEntity } from './tenant.entity';

/** A message template of one WhatsApp Business Account; Meta changes its status, quality and category. */
@ObjectType()
@Entity()
@Unique({ properties: ['organization', 'wabaId', 'metaTemplateId'] })
@Index({ properties: ['organization', 'name', 'language'] })
export class Template extends TenantEntity<
  'metaTemplateId' | 'category' | 'status' | 'qualityScore' | 'rejectionReason' | 'pendingCategory' | 'components' | 'statusDetails' | 'eventTimes'
> {
  @Property({ length: 64 })
  wabaId!: string;

  /** Meta's id, kept as a string: it can exceed 2^53. */
  @Field(() => String, { nullable: true })
  @Property({ length: 64, nullable: true })
  metaTemplateId?: string | null;

  @Field()
  @Property({ length: 512 })
  name!: string;

  @Field()
  @Property({ length: 32 })
  language!: string;

  @Field(() => String, { nullable: true, description: 'MARKETING, UTILITY or AUTHENTICATION' })
  @Property({ length: 32, nullable: true })
  category?: string | null;

  @Field({ description: "Meta's status: APPROVED, PENDING, REJECTED, PAUSED, DISABLED, ..." })
  @Property({ length: 32 })
  status: string = 'PENDING';

  @Field(() => String, { nullable: true, description: 'GREEN, YELLOW, RED or UNKNOWN' })
  @Property({ length: 16, nullable: true })
  qualityScore?: string | null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  rejectionReason?: string | null;

  /** The category Meta announced it will switch to (the advance warning), until it happens. */
  @Field(() => String, { nullable: true })
  @Property({ length: 32, nullable: true })
  pendingCategory?: string | null;

  @Field(() => GraphQLJSON, { nullable: true })
  @Property({ type: 'json', nullable: true })
  components?: unknown[] | null;

  /** Extra details of the latest status event (disable date, pause info, rejection info). */
  @Field(() => GraphQLJSON, { nullable: true })
  @Property({ type: 'json', nullable: true })
  statusDetails?: Record<string, unknown> | null;

  /** Meta's time (ISO) of the latest applied event per webhook field: older ones are skipped. */
  @Property({ type: 'json', nullable: true })
  eventTimes?: Record<string, string> | null;
}
