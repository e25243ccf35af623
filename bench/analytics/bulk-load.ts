import type { Client } from 'pg';

interface IndexDefinition {
  name: string;
  table: string;
  definition: string;
  constraint: string | null;
  constraintDefinition: string | null;
}

/**
 * Runs a bulk load with the tables' indexes (and the keys behind them) dropped, then builds them
 * again from their own definitions, as read from the catalog: whatever the migrations (of every
 * slice) created comes back exactly. Building an index once from sorted input is far cheaper than
 * maintaining it row by row through millions of random UUID keys, which is what makes loading a
 * history slow; nothing reads the tables meanwhile.
 */
export async function loadWithoutIndexes<T>(db: Client, tables: string[], load: () => Promise<T>): Promise<{ result: T; indexes: number; rebuildMs: number }> {
  const { rows: indexes } = await db.query<IndexDefinition>(
    `select i.indexrelid::regclass::text as name, t.relname as "table", pg_get_indexdef(i.indexrelid) as definition,
            c.conname as constraint, pg_get_constraintdef(c.oid) as "constraintDefinition"
       from pg_index i
       join pg_class t on t.oid = i.indrelid
       left join pg_constraint c on c.conindid = i.indexrelid and c.conrelid = i.indrelid and c.contype in ('p', 'u', 'x')
      where t.relname = any($1) and t.relnamespace = 'public'::regnamespace`,
    [tables],
  );
  // Foreign keys that point at these tables hold on to their keys.
  const { rows: references } = await db.query<{ name: string; table: string; definition: string }>(
    `select conname as name, conrelid::regclass::text as "table", pg_get_constraintdef(oid) as definition
       from pg_constraint
      where contype = 'f' and confrelid in (select oid from pg_class where relname = any($1) and relnamespace = 'public'::regnamespace)`,
    [tables],
  );
  for (const reference of references) await db.query(`alter table ${reference.table} drop constraint "${reference.name}"`);
  for (const index of indexes) {
    if (index.constraint) await db.query(`alter table "${index.table}" drop constraint "${index.constraint}"`);
    else await db.query(`drop index ${index.name}`);
  }

  const result = await load();

  const started = performance.now();
  await db.query(`set maintenance_work_mem = '256MB'`);
  for (const index of indexes) {
    if (index.constraint) await db.query(`alter table "${index.table}" add constraint "${index.constraint}" ${index.constraintDefinition}`);
    else await db.query(index.definition);
  }
  for (const reference of references) await db.query(`alter table ${reference.table} add constraint "${reference.name}" ${reference.definition}`);
  await db.query('reset maintenance_work_mem');
  return { result, indexes: indexes.length, rebuildMs: performance.now() - started };
}
