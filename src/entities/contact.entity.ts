import { Entity, Property, Unique } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { TenantEntity } from './tenant.entity';

/** A customer on WhatsApp, known by `wa_id` within one organization. */
@ObjectType()
@Entity()
@Unique({ properties: ['organization', 'waId'] })
export class Contact extends TenantEntity<'name' | 'userId' | 'username'> {
  @Field({ description: "The customer's WhatsApp id (phone digits)" })
  @Property({ length: 64 })
  waId!: string;

  @Field(() => String, { nullable: true, description: 'WhatsApp profile name' })
  @Property({ type: 'text', nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Business-scoped user id (usernames, 2026)' })
  @Property({ type: 'text', nullable: true })
  userId?: string | null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  username?: string | null;

  @Field()
  @Property({ type: 'timestamptz' })
  firstSeenAt!: Date;

  @Field()
  @Property({ type: 'timestamptz' })
  lastSeenAt!: Date;
}
