import { MikroORM } from '@mikro-orm/postgresql';
import { ormConfig, type OrmOptions } from './mikro-orm.config';

export type Orm = MikroORM;

export async function initOrm(options: OrmOptions): Promise<Orm> {
  return MikroORM.init(ormConfig(options));
}

/** Applies committed migrations; never `schema:update`. Returns the names it applied. */
export async function migrate(orm: Orm): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((migration) => migration.name);
}

/**
 * One `create(orm)` per ORM, made on first use: process-wide helpers such as the shared batch
 * statements, kept apart for each database (tests run several apps in one process).
 */
export function perOrm<T>(create: (orm: Orm) => T): (orm: Orm) => T {
  const made = new WeakMap<Orm, T>();
  return (orm) => {
    let value = made.get(orm);
    if (value === undefined) made.set(orm, (value = create(orm)));
    return value;
  };
}
