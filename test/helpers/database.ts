import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { databaseUrl, requireEnv, templateDatabase } from './test-env';

export async function adminQuery(sql: string): Promise<void> {
  const admin = new Client({ connectionString: requireEnv('DATABASE_URL') });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** A fresh, migrated database for one test app; dropped by the returned function. */
export async function createTestDatabase(): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `wa_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${templateDatabase()}`);
  return { name, url: databaseUrl(name), drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
