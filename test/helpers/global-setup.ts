import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { adminQuery } from './database';
import { databaseUrl } from './test-env';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Migrates a template database once per run; each test file clones it (CREATE DATABASE ...
 * TEMPLATE), which is fast. Migrations run in a child process through the real migrate command:
 * MikroORM's metadata must not be discovered in jest's global-setup realm (mikro-orm#3783).
 */
export default async function globalSetup(): Promise<void> {
  const template = `wa_test_template_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${template}`);
  execFileSync(process.execPath, ['-r', '@swc-node/register', 'src/db/migrate.cli.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl(template), SWC_NODE_PROJECT: './tsconfig.build.json' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // Workers are started after global setup and inherit this.
  process.env.WA_TEST_TEMPLATE = template;
}
