import type { EntityName, FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from './entity-manager';
import { notFound } from '../domain/errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string): boolean => UUID.test(value);

/**
 * Loads a row by id within the EntityManager's scope. A malformed id, a missing row and another
 * organization's row all give the same NOT_FOUND, so ids reveal nothing across tenants.
 */
export async function findById<T extends object>(em: EntityManager, entity: EntityName<T>, id: string, what: string, field = 'id'): Promise<T> {
  const row = isUuid(id) ? await em.findOne(entity, { id } as FilterQuery<T>) : null;
  if (!row) throw notFound(what, field);
  return row;
}
