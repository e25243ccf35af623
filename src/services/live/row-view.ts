import { ReferenceKind, type EntityClass } from '@mikro-orm/core';
import type { Orm } from '../../db/orm';

type Row = Record<string, unknown>;

/**
 * Turns an entity's row (its columns, as JSON: `to_jsonb(row)`) into a read-only object with the
 * entity's property names, for GraphQL to read: timestamps become Dates, a many-to-one becomes
 * `{ id }`. Live events carry their message's row this way; building a MikroORM entity from it
 * (em.map: identity map, validation, reference propagation) cost more than the rest of the
 * event's execution. Never persisted or merged into an EntityManager.
 */
export function rowViewOf<T extends object>(orm: Orm, entity: EntityClass<T>): (row: Row) => T {
  const meta = orm.getMetadata().get(entity.name);
  const fields: { name: string; column: string; as: 'value' | 'date' | 'reference' }[] = [];
  for (const prop of meta.props) {
    const column = prop.fieldNames?.[0];
    if (!column || prop.persist === false) continue;
    if (prop.kind === ReferenceKind.MANY_TO_ONE || prop.kind === ReferenceKind.ONE_TO_ONE) {
      if (prop.owner !== false) fields.push({ name: prop.name, column, as: 'reference' });
    } else if (prop.kind === ReferenceKind.SCALAR) {
      fields.push({ name: prop.name, column, as: prop.runtimeType === 'Date' ? 'date' : 'value' });
    }
  }
  return (row) => {
    const view: Row = {};
    for (const { name, column, as } of fields) {
      const value = row[column];
      if (value === null || value === undefined) view[name] = null;
      else if (as === 'date') view[name] = new Date(value as string);
      else if (as === 'reference') view[name] = { id: value };
      else view[name] = value;
    }
    return view as T;
  };
}
