import { parseArgs } from 'node:util';
import { FakeGraphApi } from './fake-graph-server';

/**
 * `npm run fake-graph`: the fake Graph API on its own, for the demo and benchmarks. Point the app's
 * META_GRAPH_URL at the printed URL. Flags win over environment variables:
 *   --port (FAKE_GRAPH_PORT, default 4010)   --host (FAKE_GRAPH_HOST, default 127.0.0.1)
 *   --webhook-url (FAKE_GRAPH_WEBHOOK_URL, default http://127.0.0.1:$PORT/webhooks/meta, PORT default 4000)
 *   --throughput messages/s per number (FAKE_GRAPH_THROUGHPUT, default unlimited)
 *   --status-delay ms before each automatic status (FAKE_GRAPH_STATUS_DELAY_MS, default 300)
 *   --no-statuses   no automatic sent/delivered/read webhooks
 * Webhooks are signed with META_APP_SECRET (as in .local/dev.env, which `npm start` generates).
 */

const HELP = 'usage: npm run fake-graph -- [--port N] [--host H] [--webhook-url URL] [--throughput N] [--status-delay MS] [--no-statuses]';

function whole(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${value}"`);
  return n;
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'webhook-url': { type: 'string' },
      throughput: { type: 'string' },
      'status-delay': { type: 'string' },
      'no-statuses': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const env = process.env;
  const appSecret = env.META_APP_SECRET;
  const webhookUrl = values['webhook-url'] ?? env.FAKE_GRAPH_WEBHOOK_URL ?? `http://127.0.0.1:${env.PORT || 4000}/webhooks/meta`;
  const fake = await FakeGraphApi.start({
    port: whole('--port', values.port ?? env.FAKE_GRAPH_PORT) ?? 4010,
    host: values.host ?? env.FAKE_GRAPH_HOST ?? '127.0.0.1',
    webhookUrl,
    appSecret,
    throughputPerSecond: whole('--throughput', values.throughput ?? env.FAKE_GRAPH_THROUGHPUT),
    autoStatuses: values['no-statuses'] ? false : { delayMs: whole('--status-delay', values['status-delay'] ?? env.FAKE_GRAPH_STATUS_DELAY_MS) ?? 300 },
    autoApproveTemplates: true,
    // A long-running demo keeps the most recent traffic only.
    maxRecorded: 10_000,
  });
  console.log(`fake Graph API on ${fake.url}  (META_GRAPH_URL=${fake.url}/v25.0)`);
  console.log(`webhooks to ${webhookUrl}${appSecret ? '' : '  (unsigned: META_APP_SECRET is not set)'}`);

  const stop = (signal: string) => {
    console.log(`${signal}: closing`);
    void fake.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
