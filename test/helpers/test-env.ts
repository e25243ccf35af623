/** Values every test app gets; tests use them to sign webhooks, open the board and so on. */
export const TEST_SECRETS = {
  META_APP_SECRET: 'test-app-secret',
  META_VERIFY_TOKEN: 'test-verify-token',
  ADMIN_TOKEN: 'test-admin-token-0123456789',
  ENCRYPTION_KEY: '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
  JWT_SECRET: 'test-jwt-secret-that-is-long-enough-0123456789',
} as const;

export function requireEnv(name: 'DATABASE_URL' | 'REDIS_URL'): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with \`npm test\`, which starts PostgreSQL and Redis`);
  return value;
}

/**
 * The database every test database is cloned from, migrated once per jest run by global-setup.
 * Named per run (global-setup exports it to the workers) so concurrent runs never share one.
 */
export function templateDatabase(): string {
  const name = process.env.WA_TEST_TEMPLATE;
  if (!name) throw new Error('WA_TEST_TEMPLATE is not set: global-setup did not run');
  return name;
}

export function databaseUrl(name: string): string {
  const url = new URL(requireEnv('DATABASE_URL'));
  url.pathname = `/${name}`;
  return url.toString();
}
