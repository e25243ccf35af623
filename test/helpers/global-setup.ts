import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { TEMPLATE_DATABASE, databaseUrl, requireEnv } from './test-env';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Migrates a template database once per run; each test file clones it (CREATE DATABASE ...
 * TEMPLATE), which is fast. Migrations run in a child process through the real migrate command:
 * MikroORM's metadata must not be discovered in jest's global-setup realm (mikro-orm#3783).
 */
export default async function globalSetup(): Promise<void> {
  const admin = new Client({ connectionString: requireEnv('DATABASE_URL') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  execFileSync(process.execPath, ['-r', '@swc-node/register', 'src/db/migrate.cli.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl(TEMPLATE_DATABASE), SWC_NODE_PROJECT: './tsconfig.build.json' },
    stdio: 'inherit',
  });
}
