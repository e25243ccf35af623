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
