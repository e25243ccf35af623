import IORedis from 'ioredis';
import { organizationTopic } from '../../src/pubsub/domain-event';
import { createOrganization, type TestOrganization } from '../helpers/fixtures';
import { CONVERSATION_EVENTS, LiveClients, WS_CLOSE, listening, noListeners, type ConversationEventPayload } from '../helpers/live';
import { createApiKey } from '../helpers/members';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { requireEnv } from '../helpers/test-env';
import { waitFor } from '../helpers/wait';

const MAX_CONNECTIONS_PER_KEY = 3;
const MAX_QUEUED_EVENTS = 10;

const BOT_MESSAGES = `subscription { conversationEvents { cursor ... on BotEvent { message } } }`;

describe('live feeds: connections under load', () => {
  let app: TestApp;
  let org: TestOrganization;
  let live: LiveClients;
  let redis: IORedis;

  beforeAll(async () => {
    app = await startTestApp({
      LIVE_MAX_CONNECTIONS_PER_KEY: String(MAX_CONNECTIONS_PER_KEY),
      LIVE_MAX_QUEUED_EVENTS: String(MAX_QUEUED_EVENTS),
    });
    org = await createOrganization(app, 'Load Co');
    live = new LiveClients(app.url);
    redis = new IORedis(requireEnv('REDIS_URL'));
  });
  afterEach(async () => {
    await live.closeAll();
    await noListeners(app);
  });
  afterAll(async () => {
    redis?.disconnect();
    await app?.stop();
  });

  it('pings every socket to keep it alive (and to find dead ones)', async () => {
    // Its own app: a one-second keep-alive would drop the paused consumer below for the wrong reason.
    const pinging = await startTestApp({ LIVE_KEEPALIVE_MS: '1000' });
    const clients = new LiveClients(pinging.url);
    try {
      const socket = await clients.raw();
      await socket.init((await createOrganization(pinging, 'Ping Co')).ownerKey);
      let pings = 0;
      socket.socket.on('ping', () => (pings += 1));
      await waitFor(() => pings >= 2, { what: 'two pings', timeoutMs: 10_000 });
      expect(socket.socket.readyState).toBe(socket.socket.OPEN);
    } finally {
      await clients.closeAll();
      await pinging.stop();
    }
  });

  it(`lets one credential hold ${MAX_CONNECTIONS_PER_KEY} sockets; the next is closed with 1013 until one goes`, async () => {
    const allowed = Array.from({ length: MAX_CONNECTIONS_PER_KEY }, () => live.connect(org.ownerKey));
    await Promise.all(allowed.map((connection) => connection.connected()));
    expect(await live.connect(org.ownerKey).closed()).toBe(WS_CLOSE.TRY_AGAIN_LATER);

    // Another credential of the same organization is counted apart.
    const otherKey = await createApiKey(app, org.ownerKey, 'AGENT');
    await live.connect(otherKey.secret).connected();

    await allowed[0]!.client.dispose();
    await waitFor(async () => {
      const retry = live.connect(org.ownerKey);
      const outcome = await Promise.race([retry.connected().then(() => 'connected'), retry.closed().then(String)]);
      return outcome === 'connected';
    }, { what: 'a freed slot' });
  });

  it('closes a consumer that stops reading with 4008 once too many events wait, and serves the others', async () => {
    const stuck = await live.raw();
    await stuck.init(org.ownerKey);
    stuck.send({ id: 'stuck', type: 'subscribe', payload: { query: BOT_MESSAGES } });
    const healthy = live.connect(org.ownerKey).subscribe<{ conversationEvents: { cursor: string } }>(BOT_MESSAGES);
    await listening(app, 2);
    stuck.socket.pause(); // reads nothing more: the kernel buffers fill, then the server's queue

    // Big events, published straight on the organization's topic: ~15 MB is more than loopback buffers
    // hold (the sender's up to 4 MB, and the receiver's, which grows while it reads; 6 MB was once not enough).
    const bulky = 'x'.repeat(60_000);
    const count = 250;
    for (let i = 1; i <= count; i += 1) {
      await redis.publish(
        organizationTopic(app.config.redis.prefix, org.id),
        JSON.stringify({ kind: 'conversation', organizationId: org.id, conversationId: '00000000-0000-4000-8000-000000000000', cursor: String(i), type: 'BOT', data: { type: 'error', message: bulky }, at: new Date().toISOString() }),
      );
    }
    await healthy.waitForCount(count);

    stuck.socket.resume();
    expect(await stuck.closed()).toBe(WS_CLOSE.SLOW_CONSUMER);
    expect(app.logs.some((line) => line.includes('the client does not keep up'))).toBe(true);
  });

  it('closes every socket with 1001 Going Away when the server shuts down', async () => {
    const other = await startTestApp();
    const clients = new LiveClients(other.url);
    try {
      const otherOrg = await createOrganization(other, 'Closing Co');
      const connection = clients.connect(otherOrg.ownerKey);
      const feed = connection.subscribe<ConversationEventPayload>(CONVERSATION_EVENTS);
      await listening(other, 1);
      await other.stop();
      expect(await connection.closed()).toBe(WS_CLOSE.GOING_AWAY);
      expect(feed.events).toEqual([]);
    } finally {
      await clients.closeAll();
      await other.stop();
    }
  });
});
