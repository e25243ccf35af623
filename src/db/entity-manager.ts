import type { EntityManager } from '@mikro-orm/postgresql';
import { TENANT_FILTER, type TenantFilterArgs } from '../entities/tenant.filter';
import type { Orm } from './orm';

export type { EntityManager };

/** A fresh EntityManager that sees one organization's rows only. */
export function tenantEm(orm: Orm, organizationId: string): EntityManager {
  const em = orm.em.fork();
  em.setFilterParams(TENANT_FILTER, { organizationId } satisfies TenantFilterArgs);
  return em;
}

/**
 * A fresh EntityManager for trusted platform code that must cross tenants (authentication, webhook
 * routing, workers). Every use is a deliberate choice visible in a code review.
 */
export function systemEm(orm: Orm): EntityManager {
  const em = orm.em.fork();
  em.setFilterParams(TENANT_FILTER, { system: true } satisfies TenantFilterArgs);
  return em;
}

/** A fresh EntityManager with no tenant: any query of tenant-owned rows fails (for anonymous callers). */
export function anonymousEm(orm: Orm): EntityManager {
  return orm.em.fork();
}
