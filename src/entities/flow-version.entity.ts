import { Entity, ManyToOne, Property, Unique, type Rel } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Flow } from './flow.entity';
import { TenantEntity } from './tenant.entity';
import { User } from './user.entity';

/** A published, immutable version of a flow; a conversation stays on the version it started with. */
@ObjectType()
@Entity()
@Unique({ properties: ['flow', 'version'] })
export class FlowVersion extends TenantEntity<'publishedBy'> {
  @ManyToOne(() => Flow, { deleteRule: 'cascade' })
  flow!: Rel<Flow>;

  @Field(() => Int)
  @Property({ type: 'integer' })
  version!: number;

  @Field(() => GraphQLJSONObject)
  @Property({ type: 'json' })
  definition!: Record<string, unknown>;

  /** SHA-256 of the definition's canonical JSON: tells whether two versions differ. */
  @Field()
  @Property({ length: 64 })
  checksum!: string;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  publishedBy?: Rel<User> | null;
}
