import type { EntityManager } from '../db/entity-manager';
import type { Viewer } from '../auth/viewer';
import { Organization } from '../entities/organization.entity';

export type MemberViewer = Extract<Viewer, { kind: 'member' }>;

/** What a use case acting for an organization member gets: a tenant-scoped EntityManager and the caller. */
export interface MemberScope {
  em: EntityManager;
  viewer: MemberViewer;
}

export const organizationRef = (scope: MemberScope) => scope.em.getReference(Organization, scope.viewer.organizationId);
