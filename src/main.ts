import './app/v8-flags';
import 'reflect-metadata';
import { ConfigError, loadConfig, type Config } from './config/config';
import { bootstrap, type App } from './app/bootstrap';
import { BOARD_PATH } from './app/board.routes';
import { GRAPHQL_PATH } from './app/graphql-server';
import type { FakeGraphApi } from './devtools/fake-graph';
import { demoBannerLines, localDemoSettings, seedLocalDemo, startLocalFakeGraph, type DemoFile } from './devtools/local-demo';

function printWelcome(config: Config, app: App, demo?: DemoFile) {
  const base = app.url.replace('127.0.0.1', 'localhost');
  const lines = [
    '',
    `  GraphQL      ${base}${GRAPHQL_PATH}   (WebSocket on the same path)`,
    `  Job board    ${base}${BOARD_PATH}   (user admin, password = ADMIN_TOKEN)`,
    `  Health       ${base}/health/ready`,
    `  Metrics      ${base}/metrics`,
  ];
  if (demo) lines.push(...demoBannerLines(demo, `${base}${GRAPHQL_PATH}`));
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
  // Local mode: a fake Graph API in this process unless META_GRAPH_URL names a real (or other) one.
  const local = config.localMode ? localDemoSettings(config, process.env) : null;
  let fake: FakeGraphApi | null = null;
  if (local?.fakeGraphPort != null) ({ fake, config } = await startLocalFakeGraph(config, local.fakeGraphPort));
  let app: App | undefined;
  let demo: DemoFile | undefined;
  try {
    app = await bootstrap(config);
    if (local) demo = await seedLocalDemo(app, local, fake);
  } catch (error) {
    await app?.close().catch(() => undefined);
    await fake?.close();
    throw error;
  }
  const running = app;
  printWelcome(config, running, demo);

  const shutdown = (signal: string) => {
    running.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      running.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    // The fake last: the app's workers may be sending to it until they stop.
    const closed = running.close().then(() => fake?.close());
    closed.then(
      () => process.exit(0),
      (error: unknown) => {
        running.log.error({ err: error }, 'shutdown failed');
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
