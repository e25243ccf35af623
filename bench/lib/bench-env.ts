import { randomBytes } from 'node:crypto';

/**
 * Secrets for the app processes of one benchmark run: generated afresh, so a run never uses (or
 * leaks into its logs) the developer's own.
 */
export const RUN_SECRETS = {
  META_APP_SECRET: randomBytes(16).toString('hex'),
  META_VERIFY_TOKEN: randomBytes(8).toString('hex'),
  ADMIN_TOKEN: randomBytes(16).toString('hex'),
  ENCRYPTION_KEY: randomBytes(32).toString('hex'),
  JWT_SECRET: randomBytes(32).toString('hex'),
};

/** A variable the benchmarks take from `scripts/services.sh env` (DATABASE_URL, REDIS_URL). */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run \`eval "$(bash scripts/services.sh env)"\` first`);
  return value;
}

/** The URL of `database` on the server of `serverUrl`: a run's scratch database. */
export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** A GraphQL request that must succeed: its `data`, or an error carrying the GraphQL errors. */
export async function graphql<T = any>(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (body.errors || !body.data) throw new Error(`GraphQL failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}
