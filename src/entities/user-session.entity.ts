import { Entity, Index, ManyToOne, Property, Unique, type Rel } from '@mikro-orm/core';
import { TenantEntity } from './tenant.entity';
import { User } from './user.entity';

/** A signed-in device: holds the refresh token (hashed); revoking it invalidates its access tokens. */
@Entity()
export class UserSession extends TenantEntity<'revokedAt' | 'lastUsedAt'> {
  @Index()
  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: Rel<User>;

  /** SHA-256 of the current refresh token; rotated on every refresh. */
  @Unique()
  @Property({ length: 64 })
  refreshTokenHash!: string;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt?: Date | null;
}
