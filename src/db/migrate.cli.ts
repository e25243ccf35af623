import 'reflect-metadata';
import { ConfigError } from '../config/config';
import { initOrm, migrate } from './orm';

/** `npm run migrate`: applies committed migrations to DATABASE_URL (the app also does this at start). */
async function main() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new ConfigError(['DATABASE_URL is required']);
  const orm = await initOrm({ url, poolMax: 2, logger: () => undefined });
  try {
    const applied = await migrate(orm);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  } finally {
    await orm.close(true);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
