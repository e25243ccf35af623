import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { App } from '../app/bootstrap';
import type { Config } from '../config/config';
import { AppError } from '../domain/errors';
import { DEMO_CHANNEL, DEMO_EMAIL, DEMO_TEMPLATE, seedDemo } from '../db/seeders/demo.seeder';
import { FakeGraphApi } from './fake-graph';
import { demoFilePath, readDemoFile, type DemoFile } from './chat/demo-file';

export type { DemoFile };

/**
 * Local mode (`LOCAL_MODE=1`, set by `npm start`): the product working on a laptop without a Meta
 * account. Unless META_GRAPH_URL is set, a fake Graph API runs inside the app process and the demo
 * channel sends to it; the demo organization, channel, sample flow and template are seeded; and what
 * `npm run chat` needs to find them is written to `<state dir>/demo.json`.
 */

export interface LocalDemoSettings {
  /** Where `npm start` keeps dev.env and demo.json (default `.local`, relative to the working directory). */
  stateDir: string;
  /** Port of the in-process fake Graph API, or null when META_GRAPH_URL names another Graph API. */
  fakeGraphPort: number | null;
}

/**
 * Local-mode knobs that only the entry point and dev tools use, so they are read here rather than
 * in the validated Config: META_GRAPH_URL's presence (the Config only sees its value, defaulted),
 * FAKE_GRAPH_PORT (default PORT + 10; a free one when PORT is 0) and LOCAL_STATE_DIR.
 */
export function localDemoSettings(config: Config, env: NodeJS.ProcessEnv): LocalDemoSettings {
  const stateDir = path.resolve(env.LOCAL_STATE_DIR || '.local');
  if (env.META_GRAPH_URL) return { stateDir, fakeGraphPort: null };
  const explicit = env.FAKE_GRAPH_PORT;
  if (explicit) {
    const port = Number(explicit);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`FAKE_GRAPH_PORT must be a port number, got "${explicit}"`);
    return { stateDir, fakeGraphPort: port };
  }
  const derived = config.http.port === 0 ? 0 : config.http.port + 10;
  return { stateDir, fakeGraphPort: derived > 65535 ? 0 : derived };
}

/** Starts the fake Graph API and returns the config pointed at it (before bootstrap, which builds the Graph client). */
export async function startLocalFakeGraph(config: Config, port: number): Promise<{ fake: FakeGraphApi; config: Config }> {
  let fake: FakeGraphApi;
  try {
    fake = await FakeGraphApi.start({
      port,
      host: '127.0.0.1',
      appSecret: config.meta.appSecret,
      // Like Meta: sent, delivered and read a moment after each accepted send.
      autoStatuses: { delayMs: 300 },
      autoApproveTemplates: true,
      // The demo may run for days: keep the most recent traffic only.
      maxRecorded: 10_000,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`the fake Graph API could not listen on port ${port} (${reason}): set FAKE_GRAPH_PORT to another port, or META_GRAPH_URL to use another Graph API`);
  }
  return { fake, config: { ...config, meta: { ...config.meta, graphUrl: `${fake.url}/v25.0` } } };
}

/**
 * Seeds the demo (idempotent), teaches the fake the demo number and template, and records the
 * credentials and addresses in demo.json. The API key and password are shown once and stored
 * hashed, so the ones from earlier runs are kept from the file.
 */
export async function seedLocalDemo(app: App, settings: LocalDemoSettings, fake: FakeGraphApi | null): Promise<DemoFile> {
  const file = demoFilePath(settings.stateDir);
  const saved = readDemoFile(settings.stateDir);
  let seed;
  try {
    seed = await seedDemo(app.orm, { issueKey: !saved.apiKey, secrets: app.deps.secrets });
  } catch (error) {
    // A broken sample flow is our bug: name its problems rather than "The flow has 2 problems".
    if (error instanceof AppError && error.extensions.problems) throw new Error(`the sample flow: ${error.message}: ${JSON.stringify(error.extensions.problems)}`);
    throw error;
  }
  if (fake) {
    fake.setWebhookUrl(`${app.url}/webhooks/meta`);
    fake.registerNumber(DEMO_CHANNEL.phoneNumberId, { wabaId: DEMO_CHANNEL.wabaId, displayPhoneNumber: DEMO_CHANNEL.displayPhoneNumber });
    const { metaTemplateId, ...template } = DEMO_TEMPLATE;
    fake.addTemplate(DEMO_CHANNEL.wabaId, { ...structuredClone(template), id: metaTemplateId, status: 'APPROVED', parameter_format: 'POSITIONAL' });
  }
  const demo: DemoFile = {
    apiKey: seed.apiKey ?? saved.apiKey,
    password: seed.password ?? saved.password,
    // 127.0.0.1 rather than localhost, which may resolve to ::1 where the app does not listen.
    url: app.url,
    fakeGraphUrl: fake?.url ?? null,
    channel: { phoneNumberId: DEMO_CHANNEL.phoneNumberId, wabaId: DEMO_CHANNEL.wabaId, displayPhoneNumber: DEMO_CHANNEL.displayPhoneNumber },
  };
  mkdirSync(settings.stateDir, { recursive: true });
  writeFileSync(file, JSON.stringify(demo, null, 2), { mode: 0o600 });
  app.log.info({ channel: DEMO_CHANNEL.phoneNumberId, flowId: seed.flow?.id ?? null, fakeGraphUrl: demo.fakeGraphUrl }, 'local demo ready');
  return demo;
}

/** The demo part of the start banner. */
export function demoBannerLines(demo: DemoFile, graphqlUrl: string): string[] {
  const lines: string[] = [];
  if (demo.apiKey) lines.push(`  Demo API key ${demo.apiKey}`);
  if (demo.password) lines.push(`  Demo login   ${DEMO_EMAIL} / ${demo.password}`);
  lines.push(
    demo.fakeGraphUrl
      ? `  Fake Meta    ${demo.fakeGraphUrl}   (a fake Graph API in this process; no Meta account needed)`
      : '  Meta         META_GRAPH_URL is set: no fake Graph API runs, sends go there',
  );
  if (demo.channel) lines.push(`  Demo number  ${demo.channel.displayPhoneNumber}   (its default flow is the seeded "Sample flow")`);
  lines.push('', '  Chat with the bot:  npm run chat   (in another terminal)');
  if (demo.apiKey) {
    lines.push('', `  curl -s ${graphqlUrl} -H 'content-type: application/json' \\`);
    lines.push(`    -H 'authorization: Bearer ${demo.apiKey}' -d '{"query":"{ viewer { organization { name } role } }"}'`);
  }
  return lines;
}
