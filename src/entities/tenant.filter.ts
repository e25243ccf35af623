import { Utils, type Filter } from '@mikro-orm/core';

type FilterDef = Parameters<typeof Filter>[0];

/** Arguments of the tenant filter: the caller's organization, or `system` for trusted platform code. */
export type TenantFilterArgs = { organizationId: string } | { system: true };

export const TENANT_FILTER = 'tenant';

/**
 * Scopes every read, update and delete of a tenant-owned entity to one organization. It is on by
 * default and fails closed: an EntityManager without filter parameters cannot query these entities
 * at all, so a resolver cannot forget the scope. Platform code (webhook routing, authentication,
 * workers) opts out explicitly with `{ system: true }` (see db/entity-manager.ts).
 */
export const tenantFilter = (entities: string[]): FilterDef => ({
  name: TENANT_FILTER,
  default: true,
  entity: entities,
  cond: (args: TenantFilterArgs | undefined, _type: unknown, _em: unknown, _options: unknown, entityName?: unknown) => {
    if (args && 'system' in args && args.system) return {};
    if (!args || !('organizationId' in args) || !args.organizationId) {
      throw new Error('Tenant filter used without an organization');
    }
    const name = entityName ? Utils.className(entityName as string) : '';
    return name === 'Organization' ? { id: args.organizationId } : { organization: args.organizationId };
  },
});
