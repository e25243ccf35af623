import { spawn } from 'node:child_process';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config';

const ROOT = path.resolve(__dirname, '../..');

/** Every required variable, with valid values; tests remove or break one at a time. */
const VALID_ENV = {
  DATABASE_URL: 'postgres://user:pass@db.internal:5432/wa',
  REDIS_URL: 'redis://cache.internal:6379',
  META_APP_SECRET: 'app-secret',
  META_VERIFY_TOKEN: 'verify-token',
  ADMIN_TOKEN: 'an-admin-token-of-24-chars',
  ENCRYPTION_KEY: 'ab'.repeat(32),
  JWT_SECRET: 'j'.repeat(32),
} as const;

const REQUIRED = Object.keys(VALID_ENV) as (keyof typeof VALID_ENV)[];

/** The problems loadConfig reports for an environment (fails the test when it accepts it). */
function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('Expected loadConfig to refuse this environment');
}

function without(name: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...VALID_ENV };
  delete env[name];
  return env;
}

describe('loadConfig', () => {
  it('turns a complete environment into typed values with documented defaults', () => {
    const config = loadConfig({ ...VALID_ENV });
    expect(config).toMatchObject({
      env: 'development',
      role: 'all',
      http: { port: 4000, host: '0.0.0.0', corsOrigins: [] },
      database: { url: VALID_ENV.DATABASE_URL },
      redis: { url: VALID_ENV.REDIS_URL, prefix: 'wa' },
      meta: { appSecret: 'app-secret', verifyToken: 'verify-token', graphUrl: 'https://graph.facebook.com/v25.0' },
      auth: { adminToken: VALID_ENV.ADMIN_TOKEN, jwtSecret: VALID_ENV.JWT_SECRET, rateLimitPerMinute: 1200 },
      graphql: { introspection: true },
      localMode: false,
    });
    expect(config.auth.encryptionKey).toEqual(Buffer.alloc(32, 0xab));
    expect(typeof config.graphql.maxDepth).toBe('number');
    expect(typeof config.graphql.maxComplexity).toBe('number');
  });

  it('coerces numbers and parses the CORS list', () => {
    const config = loadConfig({
      ...VALID_ENV,
      PORT: '8080',
      RATE_LIMIT_PER_MINUTE: '30',
      CORS_ORIGINS: ' https://app.example.com, ,https://admin.example.com ',
      META_GRAPH_URL: 'http://127.0.0.1:9999/v25.0/',
    });
    expect(config.http.port).toBe(8080);
    expect(config.auth.rateLimitPerMinute).toBe(30);
    expect(config.http.corsOrigins).toEqual(['https://app.example.com', 'https://admin.example.com']);
    expect(config.meta.graphUrl).toBe('http://127.0.0.1:9999/v25.0');
  });

  it('switches introspection off in production unless asked for', () => {
    expect(loadConfig({ ...VALID_ENV, NODE_ENV: 'production' }).graphql.introspection).toBe(false);
    expect(loadConfig({ ...VALID_ENV, NODE_ENV: 'production', INTROSPECTION: 'true' }).graphql.introspection).toBe(true);
    expect(loadConfig({ ...VALID_ENV, NODE_ENV: 'test' }).graphql.introspection).toBe(true);
    expect(loadConfig({ ...VALID_ENV, NODE_ENV: 'test', INTROSPECTION: 'false' }).graphql.introspection).toBe(false);
  });

  it.each(REQUIRED)('reports a missing %s by name', (name) => {
    expect(problemsOf(without(name))).toEqual([`${name} is required`]);
  });

  it('treats an empty variable as unset', () => {
    expect(problemsOf({ ...VALID_ENV, META_APP_SECRET: '' })).toEqual(['META_APP_SECRET is required']);
    // Coerced, '' would be port 0, a random port.
    expect(loadConfig({ ...VALID_ENV, PORT: '', CORS_ORIGINS: '' }).http).toMatchObject({ port: 4000, corsOrigins: [] });
  });

  it('reports every problem at once in one ConfigError', () => {
    const env = { ...without('DATABASE_URL'), META_APP_SECRET: undefined, ENCRYPTION_KEY: 'short', PORT: 'abc' };
    const problems = problemsOf(env);
    expect(problems).toHaveLength(4);
    expect(problems).toEqual(
      expect.arrayContaining([
        'DATABASE_URL is required',
        'META_APP_SECRET is required',
        expect.stringMatching(/^ENCRYPTION_KEY /),
        expect.stringMatching(/^PORT /),
      ]),
    );
    try {
      loadConfig(env);
    } catch (error) {
      // The message printed at start lists each problem on its own line.
      for (const problem of problems) expect((error as Error).message).toContain(`  - ${problem}`);
    }
  });

  it.each([
    ['ENCRYPTION_KEY', 'ab'.repeat(16), 'ENCRYPTION_KEY must be 32 bytes written as 64 hex characters'],
    ['ENCRYPTION_KEY', 'zz'.repeat(32), 'ENCRYPTION_KEY must be 32 bytes written as 64 hex characters'],
    ['PORT', 'abc', 'PORT must be a whole number from 0 to 65535'],
    ['PORT', '70000', 'PORT must be a whole number from 0 to 65535'],
    ['PORT', '80.5', 'PORT must be a whole number from 0 to 65535'],
    ['DATABASE_URL', 'mysql://user@db/wa', 'DATABASE_URL must be a postgres:// URL'],
    ['REDIS_URL', 'http://cache:6379', 'REDIS_URL must be a redis:// URL'],
    ['ADMIN_TOKEN', 'short', 'ADMIN_TOKEN must be at least 16 characters'],
    ['RATE_LIMIT_PER_MINUTE', '0', 'RATE_LIMIT_PER_MINUTE must be a whole number from 1 to 1000000'],
  ])('refuses %s=%s with a clear message', (name, value, message) => {
    expect(problemsOf({ ...VALID_ENV, [name]: value })).toEqual([message]);
  });
});

/** Runs the real entry point and returns how it ended; killed if it has not exited within the bound. */
function runMain(env: NodeJS.ProcessEnv, boundMs = 20_000): Promise<{ code: number | null; stderr: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, SWC_NODE_PROJECT: './tsconfig.build.json', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let timedOut = false;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdout.resume();
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, boundMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, timedOut });
    });
  });
}

describe('the entry point', () => {
  it('exits with code 1 and lists every configuration problem', async () => {
    const { code, stderr, timedOut } = await runMain({
      REDIS_URL: VALID_ENV.REDIS_URL,
      META_APP_SECRET: VALID_ENV.META_APP_SECRET,
      META_VERIFY_TOKEN: VALID_ENV.META_VERIFY_TOKEN,
      JWT_SECRET: VALID_ENV.JWT_SECRET,
      ENCRYPTION_KEY: 'not-hex',
      PORT: '70000',
    });
    expect(timedOut).toBe(false);
    expect(code).toBe(1);
    expect(stderr).toContain('Invalid configuration');
    expect(stderr).toContain('DATABASE_URL is required');
    expect(stderr).toContain('ADMIN_TOKEN is required');
    expect(stderr).toContain('ENCRYPTION_KEY must be 32 bytes written as 64 hex characters');
    expect(stderr).toContain('PORT must be a whole number from 0 to 65535');
    // A configuration mistake is not a crash: no stack trace.
    expect(stderr).not.toMatch(/^\s+at /m);
  }, 30_000);
});
