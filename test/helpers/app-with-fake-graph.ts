import { createServer } from 'node:net';
import { FakeGraphApi, type FakeGraphOptions } from '../../src/devtools/fake-graph';
import { startTestApp, type TestApp } from './test-app';
import { TEST_SECRETS } from './test-env';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The real app with the fake Graph API as its Meta: the app sends to the fake, and the fake posts
 * signed status webhooks back to the app. The port is chosen first because each needs the other's URL.
 */
export async function startAppWithFakeGraph(env: Record<string, string> = {}, fakeOptions: FakeGraphOptions = {}) {
  const port = await freePort();
  const app: TestApp = await startTestApp({ META_GRAPH_URL: `http://127.0.0.1:${port}/v25.0`, ...env });
  const fake = await FakeGraphApi.start({
    port,
    webhookUrl: `${app.url}/webhooks/meta`,
    appSecret: TEST_SECRETS.META_APP_SECRET,
    ...fakeOptions,
  }).catch(async (error) => {
    await app.stop();
    throw error;
  });
  return {
    app,
    fake,
    async stop() {
      await fake.close();
      await app.stop();
    },
  };
}
