import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import { createOrganization, type TestOrganization } from '../helpers/fixtures';
import { CONVERSATION_EVENTS, LiveClients, WS_CLOSE, listening, noListeners, typenames, type ConversationEventPayload } from '../helpers/live';
import { DEACTIVATE_USER, REVOKE_API_KEY, addMember, createApiKey, type TestMember } from '../helpers/members';
import { createChannel, customerWrites, type TestChannel } from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';
import { TEST_SECRETS } from '../helpers/test-env';

const INBOX = `
  subscription ($filter: InboxFilter) { inbox(filter: $filter) { change conversationId conversation { id status } } }
`;

describe('live feeds: organizations, roles and credentials', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let acme: TestOrganization;
  let globex: TestOrganization;
  let acmeChannel: TestChannel;
  let globexChannel: TestChannel;
  let agent: TestMember;
  let viewer: TestMember;
  let live: LiveClients;

  beforeAll(async () => {
    // Sockets' credentials are checked again every 300 ms here (15 s by default).
    ({ app, fake, stop } = await startAppWithFakeGraph({ LIVE_REAUTH_INTERVAL_MS: '300' }));
    acme = await createOrganization(app, 'Acme');
    globex = await createOrganization(app, 'Globex');
    acmeChannel = await createChannel(app, fake, acme.ownerKey);
    globexChannel = await createChannel(app, fake, globex.ownerKey);
    agent = await addMember(app, acme.ownerKey, 'AGENT');
    viewer = await addMember(app, acme.ownerKey, 'VIEWER');
    live = new LiveClients(app.url);
  });
  afterEach(async () => {
    await live.closeAll();
    await noListeners(app);
  });
  afterAll(() => stop?.());

  describe('organization isolation', () => {
    it("a subscriber of Globex receives nothing of Acme's conversations", async () => {
      const acmeFeed = live.connect(acme.ownerKey).subscribe<ConversationEventPayload>(CONVERSATION_EVENTS);
      const globexFeed = live.connect(globex.ownerKey).subscribe<ConversationEventPayload>(CONVERSATION_EVENTS);
      await listening(app, 2);

      const acmeCustomer = await customerWrites(app, acmeChannel);
      await acmeFeed.waitForEvent((e) => e.conversationEvents.conversationId === acmeCustomer.conversationId, "Acme's event");
      // Globex's own event comes after Acme's through the same Redis connection: had Acme's leaked, it would be here first.
      const globexCustomer = await customerWrites(app, globexChannel);
      await globexFeed.waitForEvent((e) => e.conversationEvents.__typename === 'MessageReceived', "Globex's own event");
      expect(globexFeed.events.map((e) => e.conversationEvents.conversationId)).toEqual([globexCustomer.conversationId, globexCustomer.conversationId]);
      expect(acmeFeed.events.every((e) => e.conversationEvents.conversationId === acmeCustomer.conversationId)).toBe(true);
    });

    it("subscribing with Acme's conversation id is NOT_FOUND for Globex, like the conversation query", async () => {
      const acmeCustomer = await customerWrites(app, acmeChannel);
      const errors = await live
        .connect(globex.ownerKey)
        .subscribe(CONVERSATION_EVENTS, { conversationId: acmeCustomer.conversationId })
        .waitForErrors();
      expect(errors.map((e) => e.extensions)).toEqual([{ code: 'NOT_FOUND', field: 'conversationId' }]);
      expect(app.deps.live!.hub.stats().listeners).toBe(0);
    });

    it("an inbox filtered on Acme's channel shows Globex nothing", async () => {
      const globexScreen = live.connect(globex.ownerKey);
      const inbox = globexScreen.subscribe(INBOX, { filter: { channelId: acmeChannel.id } });
      const everything = globexScreen.subscribe<ConversationEventPayload>(CONVERSATION_EVENTS);
      await listening(app, 2);
      await customerWrites(app, acmeChannel);
      await customerWrites(app, globexChannel);
      await everything.waitForEvent((e) => e.conversationEvents.__typename === 'MessageReceived', "Globex's own event");
      expect(inbox.events).toEqual([]);
      expect(inbox.errors).toBeNull();
    });
  });

  describe('roles', () => {
    it('AGENT and VIEWER receive what OWNER receives, as their queries show them everything of the organization', async () => {
      const feeds = [acme.ownerKey, agent.token, viewer.token].map((credential) =>
        live.connect(credential).subscribe<ConversationEventPayload>(CONVERSATION_EVENTS),
      );
      await listening(app, 3);
      await customerWrites(app, acmeChannel, undefined, 'Hi, anyone there?');
      for (const feed of feeds) await feed.waitForCount(2);
      expect(typenames(feeds[0]!)).toEqual(['ConversationOpened', 'MessageReceived']);
      expect(feeds[1]!.events).toEqual(feeds[0]!.events);
      expect(feeds[2]!.events).toEqual(feeds[0]!.events);
    });

    it('the operator token manages organizations and cannot subscribe to one: FORBIDDEN', async () => {
      const errors = await live.connect(TEST_SECRETS.ADMIN_TOKEN).subscribe(CONVERSATION_EVENTS).waitForErrors();
      expect(errors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    });
  });

  describe('credentials', () => {
    it('closes with 4401 without credentials and 4403 with a wrong or revoked one', async () => {
      expect(await live.connect().closed()).toBe(WS_CLOSE.UNAUTHORIZED);
      expect(await live.connect('wak_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb').closed()).toBe(WS_CLOSE.FORBIDDEN);
      const key = await createApiKey(app, acme.ownerKey, 'AGENT');
      await app.client(acme.ownerKey).request(REVOKE_API_KEY, { input: { id: key.id } });
      expect(await live.connect(key.secret).closed()).toBe(WS_CLOSE.FORBIDDEN);
    });

    it("closes a revoked key's open sockets with 4403, and only those", async () => {
      const key = await createApiKey(app, acme.ownerKey, 'AGENT');
      const revoked = live.connect(key.secret);
      revoked.subscribe(CONVERSATION_EVENTS);
      const bystander = live.connect(acme.ownerKey);
      const stillWatching = bystander.subscribe<ConversationEventPayload>(CONVERSATION_EVENTS);
      await listening(app, 2);

      await app.client(acme.ownerKey).request(REVOKE_API_KEY, { input: { id: key.id } });
      expect(await revoked.closed()).toBe(WS_CLOSE.FORBIDDEN);

      await customerWrites(app, acmeChannel);
      await stillWatching.waitForEvent((e) => e.conversationEvents.__typename === 'MessageReceived', "the bystander's event");
    });

    it("closes a deactivated member's sockets with 4403", async () => {
      const leaving = await addMember(app, acme.ownerKey, 'AGENT');
      const socket = live.connect(leaving.token);
      socket.subscribe(CONVERSATION_EVENTS);
      await listening(app, 1);
      await app.client(acme.ownerKey).request(DEACTIVATE_USER, { input: { id: leaving.id } });
      expect(await socket.closed()).toBe(WS_CLOSE.FORBIDDEN);
    });
  });
});
