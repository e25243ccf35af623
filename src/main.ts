import 'reflect-metadata';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from './config/config';
import { bootstrap, type App } from './app/bootstrap';
import { BOARD_PATH } from './app/board.routes';
import { GRAPHQL_PATH } from './app/graphql-server';
import { systemEm } from './db/entity-manager';
import { DEMO_EMAIL, seedDemo } from './db/seeders/demo.seeder';

/** Where `npm start` keeps the demo credentials between runs (git-ignored). */
const DEMO_FILE = path.resolve('.local/demo.json');

async function seedLocalDemo(app: App) {
  const saved = existsSync(DEMO_FILE) ? (JSON.parse(readFileSync(DEMO_FILE, 'utf8')) as { apiKey?: string; password?: string }) : {};
  const seed = await seedDemo(systemEm(app.orm), { issueKey: !saved.apiKey });
  const demo = { apiKey: seed.apiKey ?? saved.apiKey, password: seed.password ?? saved.password };
  mkdirSync(path.dirname(DEMO_FILE), { recursive: true });
  writeFileSync(DEMO_FILE, JSON.stringify(demo, null, 2), { mode: 0o600 });
  return demo;
}

function printWelcome(config: Config, app: App, demo?: { apiKey?: string; password?: string }) {
  const base = app.url.replace('127.0.0.1', 'localhost');
  const lines = [
    '',
    `  GraphQL      ${base}${GRAPHQL_PATH}   (WebSocket on the same path)`,
    `  Job board    ${base}${BOARD_PATH}   (user admin, password = ADMIN_TOKEN)`,
    `  Health       ${base}/health/ready`,
    `  Metrics      ${base}/metrics`,
  ];
  if (demo?.apiKey) {
    lines.push(`  Demo API key ${demo.apiKey}`);
    if (demo.password) lines.push(`  Demo login   ${DEMO_EMAIL} / ${demo.password}`);
    lines.push('', `  curl -s ${base}${GRAPHQL_PATH} -H 'content-type: application/json' \\`);
    lines.push(`    -H 'authorization: Bearer ${demo.apiKey}' -d '{"query":"{ viewer { organization { name } role } }"}'`);
  }
  if (config.role === 'worker') lines.splice(1, 2);
  console.log(lines.join('\n') + '\n');
}

async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const app = await bootstrap(config);
  const demo = config.localMode ? await seedLocalDemo(app) : undefined;
  printWelcome(config, app, demo);

  const shutdown = (signal: string) => {
    app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      app.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('Failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
