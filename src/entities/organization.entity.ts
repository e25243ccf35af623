import { Entity, Property } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { BaseEntity } from './base.entity';

/** A tenant: a business using the product. Every tenant-owned row points here. */
@ObjectType()
@Entity()
export class Organization extends BaseEntity<'timezone'> {
  @Field()
  @Property({ length: 200 })
  name!: string;

  /** IANA time zone that reports default to. */
  @Field()
  @Property({ length: 64 })
  timezone: string = 'UTC';
}
