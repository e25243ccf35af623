import { Entity, Enum, Property, Unique } from '@mikro-orm/core';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Role } from '../domain/role';
import { TenantEntity } from './tenant.entity';

registerEnumType(Role, { name: 'Role', description: 'What a member may do: OWNER > ADMIN > AGENT > VIEWER' });

/** A person (owner, admin, agent, viewer) who signs in with email and password. */
@ObjectType()
@Entity()
export class User extends TenantEntity<'passwordHash' | 'inviteTokenHash' | 'inviteExpiresAt' | 'lastLoginAt' | 'deactivatedAt' | 'activated'> {
  /** Lower-cased; unique across the platform so that login needs nothing but email and password. */
  @Field()
  @Unique()
  @Property({ length: 320 })
  email!: string;

  @Field()
  @Property({ length: 200 })
  name!: string;

  @Field(() => Role)
  @Enum({ items: () => Role, nativeEnumName: 'member_role' })
  role!: Role;

  /** scrypt hash; null until the invitation is accepted. */
  @Property({ type: 'text', nullable: true, hidden: true })
  passwordHash?: string | null;

  @Property({ length: 64, nullable: true, hidden: true })
  @Unique()
  inviteTokenHash?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  inviteExpiresAt?: Date | null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  lastLoginAt?: Date | null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  deactivatedAt?: Date | null;

  @Field({ description: 'False until the invited person has chosen a password' })
  get activated(): boolean {
    return Boolean(this.passwordHash);
  }
}
