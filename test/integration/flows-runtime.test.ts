import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLClient } from 'graphql-request';
import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import { createOrganization, type TestOrganization } from '../helpers/fixtures';
import { ASSIGN, ChatCustomer, HANDOFF, RETURN_TO_BOT, UPDATE_FLOW_DRAFT, publishFlow, publishedFlow, setDefaultFlow, trace } from '../helpers/flows';
import { addMember } from '../helpers/members';
import { createChannel, query, seedTemplate, type TestChannel } from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';
import { waitFor } from '../helpers/wait';

/**
 * Flows as customers meet them: signed webhooks in, the engine inside inbound processing, replies
 * accepted by the fake Graph API. Each customer gets at most six replies, Meta's pair-limit burst,
 * so no test waits for the 6-second refill.
 */

const SHOP = {
  start: 'welcome',
  nodes: [
    {
      id: 'welcome', type: 'message', text: 'Hi {{contact.name}}! What do you need?',
      buttons: [{ id: 'order', title: 'Place order', next: 'menu' }, { id: 'talk', title: 'Talk to us', next: 'agent' }],
    },
    {
      id: 'menu', type: 'message', text: 'Pick a size',
      list: { button: 'Sizes', sections: [{ title: 'Sizes', rows: [{ id: 'size_s', title: 'Small', next: 'small' }, { id: 'size_l', title: 'Large', next: 'large' }] }] },
    },
    { id: 'small', type: 'set', var: 'size', value: 'small', next: 'qty' },
    { id: 'large', type: 'set', var: 'size', value: 'large', next: 'qty' },
    {
      id: 'qty', type: 'question', text: 'How many {{size}} ones?', validate: { kind: 'number', min: 1, max: 10 }, saveAs: 'qty',
      retryText: 'A number from 1 to 10, please', maxAttempts: 3, next: 'route', onInvalid: 'agent',
    },
    {
      id: 'route', type: 'condition',
      branches: [{ when: { all: [{ var: 'qty', op: '>=', value: 5 }, { var: 'size', op: '==', value: 'large' }] }, next: 'bulk' }],
      else: 'confirm',
    },
    { id: 'bulk', type: 'set', var: 'discount', value: ' (10% off)', next: 'confirm' },
    { id: 'confirm', type: 'template', template: 'order_confirmation', language: 'en_US', parameters: { body: ['{{qty}}', '{{size}}'] }, next: 'bye' },
    { id: 'bye', type: 'end', text: 'Thanks {{contact.name}}! {{qty}} x {{size}}{{discount}}' },
    { id: 'agent', type: 'handoff', text: 'Connecting you to a person...' },
  ],
};

const GREETER = {
  start: 'ask_name',
  nodes: [
    { id: 'ask_name', type: 'question', text: 'What is your name?', saveAs: 'name', next: 'menu' },
    {
      id: 'menu', type: 'message', text: 'Hi {{name}}, human or bot?',
      buttons: [{ id: 'human', title: 'Human', next: 'agent' }, { id: 'bot', title: 'Bot', next: 'bye' }],
    },
    { id: 'agent', type: 'handoff', text: 'Connecting you to a person...' },
    { id: 'bye', type: 'end', text: 'Bye {{name}}' },
  ],
};

const SUPPORT = { start: 'info', triggers: { keywords: ['help'] }, nodes: [{ id: 'info', type: 'end', text: 'Support: call 555-0100' }] };

const colourFlow = (version: string) => ({
  start: 'ask',
  sessionTtlMinutes: 5,
  nodes: [
    { id: 'ask', type: 'question', text: `${version}: favourite colour?`, saveAs: 'colour', next: 'bye' },
    { id: 'bye', type: 'end', text: `${version} likes {{colour}}` },
  ],
});

const lookupFlow = (baseUrl: string, keyword: string) => ({
  start: 'ask',
  triggers: { keywords: [keyword] },
  nodes: [
    { id: 'ask', type: 'question', text: 'Order number?', saveAs: 'order', next: 'lookup' },
    { id: 'lookup', type: 'http', url: `${baseUrl}/orders/{{order}}`, saveAs: 'info', timeoutMs: 500, next: 'found', onError: 'oops' },
    { id: 'found', type: 'end', text: 'Order {{order}} is {{info.status}}, arriving in {{info.eta}} days' },
    { id: 'oops', type: 'end', text: 'Sorry, we could not look up {{order}}' },
  ],
});

/** An order service for the http node: 42 exists, 500 fails, slow never answers. */
async function startOrderService(): Promise<{ url: string; paths: string[]; close: () => Promise<void> }> {
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    paths.push(req.url ?? '');
    if (req.url === '/orders/42') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'shipped', eta: 3 }));
    else if (req.url === '/orders/500') res.writeHead(500).end('boom');
    else if (req.url === '/orders/slow') return; // never answered: the node's timeout decides
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    paths,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('flows at runtime', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let org: TestOrganization;
  let owner: GraphQLClient;
  let orders: Awaited<ReturnType<typeof startOrderService>>;

  beforeAll(async () => {
    ({ app, fake, stop } = await startAppWithFakeGraph());
    org = await createOrganization(app, 'Shop');
    owner = app.client(org.ownerKey);
    orders = await startOrderService();
  });
  afterAll(async () => {
    await orders?.close();
    await stop?.();
  });

  /** A channel whose default flow is `definition` (published); also returns the flow id. */
  async function channelWithDefault(definition: unknown): Promise<{ channel: TestChannel; flowId: string }> {
    const channel = await createChannel(app, fake, org.ownerKey);
    const flowId = await publishedFlow(owner, definition);
    await setDefaultFlow(owner, channel.id, flowId);
    return { channel, flowId };
  }

  describe('a multi-step flow', () => {
    let channel: TestChannel;
    beforeAll(async () => {
      ({ channel } = await channelWithDefault(SHOP));
      const components = [{ type: 'BODY', text: 'Your order of {{1}} {{2}} is confirmed', example: { body_text: [['2', 'small']] } }];
      await seedTemplate(app, { organizationId: org.id, wabaId: channel.wabaId, name: 'order_confirmation', components });
      fake.addTemplate(channel.wabaId, { name: 'order_confirmation', language: 'en_US', category: 'UTILITY', components });
    });

    it('taps a button, picks a list row, retries a question, branches, sets, sends the template and ends', async () => {
      const ana = new ChatCustomer(app, fake, channel, undefined, 'Ana');
      await ana.say('hi');
      expect(await ana.replies()).toEqual(['Hi Ana! What do you need?']);
      expect(ana.sends()[0].interactive.action.buttons.map((b: any) => b.reply)).toEqual([{ id: 'order', title: 'Place order' }, { id: 'talk', title: 'Talk to us' }]);

      await ana.tap('order', 'Place order');
      expect(await ana.replies()).toEqual(['Pick a size']);
      await ana.pick('size_l', 'Large');
      expect(await ana.replies()).toEqual(['How many large ones?']);
      await ana.say('lots');
      expect(await ana.replies()).toEqual(['A number from 1 to 10, please']);
      await ana.say(' 7 ');
      expect(await ana.replies()).toEqual(['template order_confirmation(7, large)', 'Thanks Ana! 7 x large (10% off)']);

      const conversation = await ana.conversation();
      expect(conversation).toMatchObject({ status: 'CLOSED', botExpiresAt: null });
      expect(conversation.botState).toMatchObject({ status: 'ended', variables: { size: 'large', qty: 7, discount: ' (10% off)' } });
      const template = ana.sends()[4].template;
      expect(template).toMatchObject({ name: 'order_confirmation', language: { code: 'en_US' } });

      expect(trace(await ana.botEvents())).toEqual([
        'entered:welcome',
        'entered:menu',
        'entered:large', 'set:size=large', 'entered:qty',
        'invalid:qty', 'retried:qty',
        'set:qty=7', 'entered:route', 'entered:bulk', 'set:discount= (10% off)', 'entered:confirm', 'entered:bye', 'ended:bye',
      ]);
    });

    it('takes a typed button title, and goes to onInvalid after maxAttempts wrong answers', async () => {
      const bruno = new ChatCustomer(app, fake, channel, undefined, 'Bruno');
      await bruno.say('hello');
      await bruno.say('  place ORDER ');
      await bruno.pick('size_s', 'Small');
      await bruno.say('zero');
      await bruno.say('99');
      await bruno.say('-');
      expect(await bruno.replies()).toEqual([
        'Hi Bruno! What do you need?',
        'Pick a size',
        'How many small ones?',
        'A number from 1 to 10, please',
        'A number from 1 to 10, please',
        'Connecting you to a person...',
      ]);
      expect(await bruno.conversation()).toMatchObject({ status: 'WAITING_AGENT', botExpiresAt: null, botState: { status: 'handed_off' } });
      expect(trace(await bruno.botEvents())).toEqual([
        'entered:welcome',
        'entered:menu',
        'entered:small', 'set:size=small', 'entered:qty',
        'invalid:qty', 'retried:qty',
        'invalid:qty', 'retried:qty',
        'invalid:qty', 'entered:agent', 'handoff:agent(node)',
      ]);
    });
  });

  describe('starting a flow', () => {
    let channel: TestChannel;
    let greeterId: string;
    let supportId: string;
    beforeAll(async () => {
      ({ channel, flowId: greeterId } = await channelWithDefault(GREETER));
      supportId = await publishedFlow(owner, SUPPORT, 'Support');
    });

    it('starts the flow whose keyword is the whole message, in any case; anything else starts the default', async () => {
      const byKeyword = new ChatCustomer(app, fake, channel);
      await byKeyword.say('  HeLP ');
      expect(await byKeyword.replies()).toEqual(['Support: call 555-0100']);
      expect((await byKeyword.conversation()).botState).toMatchObject({ flowId: supportId, status: 'ended' });

      const byDefault = new ChatCustomer(app, fake, channel);
      await byDefault.say('help me please');
      expect(await byDefault.replies()).toEqual(['What is your name?']);
      expect((await byDefault.conversation()).botState).toMatchObject({ flowId: greeterId, status: 'active', currentNodeId: 'ask_name' });

      // In a running session a keyword is just an answer.
      await byDefault.say('help');
      expect(await byDefault.replies()).toEqual(['Hi help, human or bot?']);
    });

    it('restarts the default flow when a conversation that ended writes again', async () => {
      const eva = new ChatCustomer(app, fake, channel);
      await eva.say('hi');
      await eva.say('Eva');
      await eva.tap('bot', 'Bot');
      expect(await eva.replies()).toEqual(['What is your name?', 'Hi Eva, human or bot?', 'Bye Eva']);
      expect(await eva.conversation()).toMatchObject({ status: 'CLOSED', botState: { status: 'ended' } });

      await eva.say('me again');
      expect(await eva.replies()).toEqual(['What is your name?']);
      expect(await eva.conversation()).toMatchObject({ status: 'BOT', botState: { status: 'active', currentNodeId: 'ask_name', variables: { last_input: 'me again' } } });
      expect(trace(await eva.botEvents()).filter((t) => t === 'expired')).toEqual([]);
      // Every status move is in the log, whoever made it: reports and live feeds read them there.
      const moves = await query<{ data: Record<string, unknown> }>(
        app,
        `select data from conversation_event where conversation_id = ? and type = 'STATUS_CHANGED' order by id`,
        [(await eva.conversation()).id],
      );
      expect(moves.map((row) => row.data)).toEqual([
        { status: 'BOT', previous: 'WAITING_AGENT', by: 'bot' },
        { status: 'CLOSED', previous: 'BOT', by: 'bot' },
        { status: 'WAITING_AGENT', previous: 'CLOSED', by: 'customer' },
        { status: 'BOT', previous: 'WAITING_AGENT', by: 'bot' },
      ]);
    });

    it('without a keyword or a default flow the conversation waits for an agent', async () => {
      const bare = await createChannel(app, fake, org.ownerKey);
      const customer = new ChatCustomer(app, fake, bare);
      await customer.say('hello?');
      expect(await customer.conversation()).toMatchObject({ status: 'WAITING_AGENT', botState: null });
      expect(await customer.outboundCount()).toBe(0);
      expect(await customer.botEvents()).toEqual([]);
    });
  });

  describe('handoff and returnToBot', () => {
    let channel: TestChannel;
    let agentId: string;
    beforeAll(async () => {
      ({ channel } = await channelWithDefault(GREETER));
      agentId = (await addMember(app, org.ownerKey, 'AGENT')).id;
    });

    /** Sends a message and checks the bot did not answer or log anything. */
    async function expectSilence(customer: ChatCustomer, text: string) {
      const [replies, events] = [await customer.outboundCount(), (await customer.botEvents()).length];
      await customer.say(text);
      expect(await customer.outboundCount()).toBe(replies);
      expect(await customer.botEvents()).toHaveLength(events);
    }

    it('stays silent after a handoff, also with an agent, and restarts on returnToBot', async () => {
      const carla = new ChatCustomer(app, fake, channel);
      await carla.say('hi');
      await carla.say('Carla');
      await carla.tap('human', 'Human');
      expect(await carla.replies()).toEqual(['What is your name?', 'Hi Carla, human or bot?', 'Connecting you to a person...']);
      const { id } = await carla.conversation();
      expect(await carla.conversation()).toMatchObject({ status: 'WAITING_AGENT', botState: { status: 'handed_off' } });

      await expectSilence(carla, 'hello? anyone?');
      expect((await carla.conversation()).status).toBe('WAITING_AGENT');

      await owner.request(ASSIGN, { input: { conversationId: id, userId: agentId } });
      await expectSilence(carla, 'still there?');
      expect((await carla.conversation()).status).toBe('WITH_AGENT');

      const returned = await owner.request<any>(RETURN_TO_BOT, { input: { conversationId: id } });
      expect(returned.returnToBot.conversation.status).toBe('BOT');
      expect(await carla.replies()).toEqual(['What is your name?']);
      await carla.say('Carla');
      expect(await carla.replies()).toEqual(['Hi Carla, human or bot?']);
    });

    it('returnToBot resumes an active session where it waits', async () => {
      const dora = new ChatCustomer(app, fake, channel);
      await dora.say('hi');
      expect(await dora.replies()).toEqual(['What is your name?']);
      const { id } = await dora.conversation();
      await owner.request(ASSIGN, { input: { conversationId: id, userId: agentId } });
      await expectSilence(dora, 'I would rather talk to someone');
      expect((await dora.conversation()).botState).toMatchObject({ status: 'active', currentNodeId: 'ask_name' });

      await owner.request(RETURN_TO_BOT, { input: { conversationId: id } });
      expect(await dora.conversation()).toMatchObject({ status: 'BOT', botState: { status: 'active', currentNodeId: 'ask_name' } });
      expect(await dora.replies()).toEqual([]);
      await dora.say('Dora');
      expect(await dora.replies()).toEqual(['Hi Dora, human or bot?']);
    });
    it('stays silent after an agent takes over with handoffToAgent mid-flow', async () => {
      const ugo = new ChatCustomer(app, fake, channel);
      await ugo.say('hi');
      expect(await ugo.replies()).toEqual(['What is your name?']);
      const { id } = await ugo.conversation();
      await owner.request(HANDOFF, { input: { conversationId: id } });
      await expectSilence(ugo, 'Ugo');
      expect(await ugo.conversation()).toMatchObject({ status: 'WAITING_AGENT', botState: { status: 'active', currentNodeId: 'ask_name' } });
    });
  });

  describe('versions and expiry', () => {
    let channel: TestChannel;
    let flowId: string;
    beforeAll(async () => {
      ({ channel, flowId } = await channelWithDefault(colourFlow('v1')));
    });

    it('keeps a running conversation on its version when a new one is published', async () => {
      const early = new ChatCustomer(app, fake, channel);
      await early.say('hi');
      expect(await early.replies()).toEqual(['v1: favourite colour?']);

      await owner.request(UPDATE_FLOW_DRAFT, { input: { flowId, definition: colourFlow('v2') } });
      expect(await publishFlow(owner, flowId)).toBe(2);

      const late = new ChatCustomer(app, fake, channel);
      await late.say('hi');
      await late.say('blue');
      expect(await late.replies()).toEqual(['v2: favourite colour?', 'v2 likes blue']);
      await early.say('red');
      expect(await early.replies()).toEqual(['v1 likes red']);
      expect((await early.conversation()).botState).toMatchObject({ flowVersion: 1, status: 'ended' });
      expect((await late.conversation()).botState).toMatchObject({ flowVersion: 2, status: 'ended' });
      expect((await early.botEvents()).every((event) => event.flowVersion === 1)).toBe(true);

      // Its next session starts on the new version.
      await early.say('again');
      expect(await early.replies()).toEqual(['v2: favourite colour?']);
    });

    it('keeps a session alive for sessionTtlMinutes after the last activity', async () => {
      const customer = new ChatCustomer(app, fake, channel);
      const before = Date.now();
      await customer.say('hi');
      const after = Date.now();
      const expiresAt = new Date((await customer.conversation()).botExpiresAt!).getTime();
      expect(expiresAt).toBeGreaterThanOrEqual(before + 5 * 60_000 - 1000);
      expect(expiresAt).toBeLessThanOrEqual(after + 5 * 60_000 + 1000);
    });

    it('ends an idle session on the next message, which starts afresh', async () => {
      const customer = new ChatCustomer(app, fake, channel);
      await customer.say('hi');
      expect(await customer.replies()).toHaveLength(1);
      await query(app, `update conversation set bot_expires_at = now() - interval '1 minute' where id = ?`, [(await customer.conversation()).id]);

      await customer.say('green');
      expect(await customer.replies()).toEqual(['v2: favourite colour?']);
      const events = trace(await customer.botEvents());
      expect(events).toEqual(['entered:ask', 'expired', 'entered:ask']);
      expect((await customer.conversation()).botState).toMatchObject({ status: 'active', currentNodeId: 'ask', variables: { last_input: 'green' } });
    });

    it('the expire-bot-sessions job closes idle sessions; the next message starts afresh', async () => {
      const customer = new ChatCustomer(app, fake, channel);
      await customer.say('hi');
      expect(await customer.replies()).toHaveLength(1);
      await query(app, `update conversation set bot_expires_at = now() - interval '1 minute' where id = ?`, [(await customer.conversation()).id]);

      await app.queues.get('maintenance').add('expire-bot-sessions', {});
      await waitFor(async () => (await customer.conversation()).status === 'CLOSED', { what: 'the idle session to be closed by the job' });
      expect(await customer.conversation()).toMatchObject({ botExpiresAt: null, botState: { status: 'ended' } });
      expect(trace(await customer.botEvents())).toEqual(['entered:ask', 'expired']);
      // The expiry says where the session was left: analytics count the abandonment at that node.
      expect((await customer.botEvents()).at(-1)).toMatchObject({ type: 'expired', nodeId: 'ask', flowVersion: expect.any(Number), flowId: expect.any(String) });

      await customer.say('purple');
      expect(await customer.replies()).toEqual(['v2: favourite colour?']);
      expect(trace(await customer.botEvents())).toEqual(['entered:ask', 'expired', 'entered:ask']);
    });
  });

  describe('hostile input at runtime', () => {
    let channel: TestChannel;
    beforeAll(async () => {
      channel = await createChannel(app, fake, org.ownerKey);
      await publishedFlow(owner, {
        start: 'secret',
        triggers: { keywords: ['echo'] },
        nodes: [
          { id: 'secret', type: 'set', var: 'email', value: 'owner@example.com', next: 'ask' },
          { id: 'ask', type: 'question', text: 'Say something', saveAs: 'said', next: 'echo' },
          { id: 'echo', type: 'end', text: 'You said: {{said}} | {{last_input}}' },
        ],
      }, 'Echo');
      await publishedFlow(owner, {
        start: 'a',
        triggers: { keywords: ['spin'] },
        nodes: [
          { id: 'a', type: 'set', var: 'x', value: 'a', next: 'b' },
          { id: 'b', type: 'jump', to: 'a' },
        ],
      }, 'Spin');
      await publishedFlow(owner, lookupFlow(orders.url, 'track'), 'Track');
    });

    it('echoes what a customer types literally, never interpolating it again', async () => {
      const customer = new ChatCustomer(app, fake, channel);
      const typed = '{{email}} {{ contact.phone }} </script><script>alert(1)</script>';
      await customer.say('echo');
      await customer.say(typed);
      expect(await customer.replies()).toEqual(['Say something', `You said: ${typed} | ${typed}`]);
      expect((await customer.conversation()).botState!.variables).toMatchObject({ email: 'owner@example.com', said: typed });
    });

    it('stops a flow that loops without waiting and hands it to an agent', async () => {
      const customer = new ChatCustomer(app, fake, channel);
      await customer.say('spin');
      expect(await customer.conversation()).toMatchObject({ status: 'WAITING_AGENT', botState: { status: 'handed_off' } });
      const events = await customer.botEvents();
      expect(events.at(-2)).toMatchObject({ type: 'error', message: expect.stringContaining('loop guard') });
      expect(events.at(-1)).toMatchObject({ type: 'handoff', reason: 'loop_guard' });
      expect(await customer.outboundCount()).toBe(0);
    });

    it('refuses private addresses in http nodes (SSRF guard) and follows onError', async () => {
      const customer = new ChatCustomer(app, fake, channel);
      await customer.say('track');
      await customer.say('42');
      expect(await customer.replies(2)).toEqual(['Order number?', 'Sorry, we could not look up 42']);
      const error = (await customer.botEvents()).find((event) => event.type === 'error');
      expect(error).toMatchObject({ nodeId: 'lookup', message: 'http request failed: private and loopback addresses are not allowed' });
      expect(orders.paths).not.toContain('/orders/42');
    });
  });

  describe('http nodes against a local service', () => {
    let local: Awaited<ReturnType<typeof startAppWithFakeGraph>>;
    let channel: TestChannel;
    beforeAll(async () => {
      // Tests call a service on 127.0.0.1, which the SSRF guard refuses unless told otherwise.
      local = await startAppWithFakeGraph({ FLOW_HTTP_ALLOW_PRIVATE: '1' });
      const localOrg = await createOrganization(local.app, 'Local');
      channel = await createChannel(local.app, local.fake, localOrg.ownerKey);
      const client = local.app.client(localOrg.ownerKey);
      await setDefaultFlow(client, channel.id, await publishedFlow(client, lookupFlow(orders.url, 'track')));
    });
    afterAll(() => local?.stop());

    const lookUp = async (order: string) => {
      const customer = new ChatCustomer(local.app, local.fake, channel);
      await customer.say('hi');
      await customer.say(order);
      return { customer, replies: await customer.replies(2) };
    };

    it('saves the answer and continues on success', async () => {
      const { customer, replies } = await lookUp('42');
      expect(replies).toEqual(['Order number?', 'Order 42 is shipped, arriving in 3 days']);
      expect(trace(await customer.botEvents())).toEqual([
        'entered:ask',
        'set:order=42', 'entered:lookup',
        'set:info={"status":"shipped","eta":3}', 'set:info.status=shipped', 'set:info.eta=3', 'entered:found', 'ended:found',
      ]);
    });

    it.each([
      ['a server error', '500', 'http request failed: HTTP 500'],
      ['a timeout', 'slow', 'http request failed: timed out'],
    ])('follows onError on %s', async (_label, order, message) => {
      const { customer, replies } = await lookUp(order);
      expect(replies).toEqual(['Order number?', `Sorry, we could not look up ${order}`]);
      expect((await customer.botEvents()).find((event) => event.type === 'error')).toMatchObject({ nodeId: 'lookup', message });
      expect(await customer.conversation()).toMatchObject({ status: 'CLOSED', botState: { status: 'ended' } });
    });

    it('puts an answer into the URL encoded, so it cannot change the path', async () => {
      const { replies } = await lookUp('../admin?drop=1');
      expect(replies).toEqual(['Order number?', 'Sorry, we could not look up ../admin?drop=1']);
      expect(orders.paths).toContain('/orders/..%2Fadmin%3Fdrop%3D1');
    });
  });

  describe('organizations', () => {
    it("never runs one organization's flow for another's channel", async () => {
      const echoChannel = await createChannel(app, fake, org.ownerKey);
      await setDefaultFlow(owner, echoChannel.id, await publishedFlow(owner, GREETER, 'A default'));
      const other = await createOrganization(app, 'Other shop');
      const theirs = await createChannel(app, fake, other.ownerKey);

      // A's keyword ('help', from the support flow) and plain text, typed to B's number.
      const customer = new ChatCustomer(app, fake, theirs);
      await customer.say('help');
      await customer.say('hello');
      expect(await customer.conversation()).toMatchObject({ status: 'WAITING_AGENT', botState: null });
      expect(await customer.outboundCount()).toBe(0);
      expect(await customer.botEvents()).toEqual([]);
    });
  });
});
