import { Index, ManyToOne, type Rel } from '@mikro-orm/core';
import { ObjectType } from 'type-graphql';
import { BaseEntity } from './base.entity';
import { Organization } from './organization.entity';

/** A row owned by one organization; the `tenant` filter (tenant.filter.ts) scopes every read of it. */
@ObjectType()
export abstract class TenantEntity<Optional extends string = never> extends BaseEntity<Optional> {
  @Index()
  @ManyToOne(() => Organization, { deleteRule: 'cascade' })
  organization!: Rel<Organization>;
}
