import { Entity, Enum, ManyToOne, Property, Unique, type Rel } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { Role } from '../domain/role';
import { TenantEntity } from './tenant.entity';
import { User } from './user.entity';

/** A server credential. Only its SHA-256 is stored; the secret is shown once at creation. */
@ObjectType()
@Entity()
export class ApiKey extends TenantEntity<'user' | 'lastUsedAt' | 'revokedAt'> {
  @Field()
  @Property({ length: 100 })
  name!: string;

  /** Public, non-secret part of the key, used to find it and to recognise it in lists. */
  @Field()
  @Unique()
  @Property({ length: 16 })
  prefix!: string;

  @Property({ length: 64, hidden: true })
  secretHash!: string;

  @Field(() => Role)
  @Enum({ items: () => Role, nativeEnumName: 'member_role' })
  role!: Role;

  /** The person this key acts for, if any (agent features need to know who is calling). */
  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  user?: Rel<User> | null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt?: Date | null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  revokedAt?: Date | null;
}
