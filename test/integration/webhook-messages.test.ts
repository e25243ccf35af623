import { gql } from 'graphql-request';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { channelInput, createOrganization, type TestOrganization } from '../helpers/fixtures';
import { TEST_SECRETS } from '../helpers/test-env';
import { messagesEnvelope, postWebhook, wamid, type ChannelRef } from '../helpers/meta-webhook';
import { waitForQueuesIdle } from '../helpers/wait';
import {
  adReferral,
  batch,
  contactCard,
  deliver,
  fromCustomer,
  inboundMessage,
  insertOutboundMessage,
  message,
  profile,
  replyTo,
  rows,
  type Customer,
  type Payload,
} from '../helpers/meta-payloads';

const CREATE_CHANNEL = gql`
  mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id phoneNumberId wabaId displayPhoneNumber } } }
`;

const MESSAGE_FIELDS = `
  id wamid direction type text media location replyToWamid reaction status
  errorCode errorTitle errorDetails context referral payload conversation { id }
`;
const MESSAGE_BY_WAMID = gql`
  query ($wamid: String) { messages(filter: { wamid: $wamid }) { totalCount edges { node { ${MESSAGE_FIELDS} } } } }
`;
const CONVERSATION = gql`
  query ($id: ID!) {
    conversation(id: $id) {
      id
      window { isOpen expiresAt }
      lastMessage { wamid }
      messages(first: 50) { totalCount edges { node { wamid type text reaction } } }
    }
  }
`;
const CONTACT = gql`
  query ($waId: String) { contacts(filter: { waId: $waId }) { totalCount edges { node { id waId name } } } }
`;
const DELIVERIES = gql`
  query { webhookDeliveries(first: 100) { edges { node { id status attempts issues rawBody } } } }
`;

let customerSequence = 0;
/** A customer of their own per test, so each test reads its own conversation. */
const newCustomer = (name = 'Maria Souza'): Customer => {
  customerSequence += 1;
  return { waId: `55119${String(Date.now()).slice(-6)}${String(customerSequence).padStart(2, '0')}`, name };
};

const secondsAgo = (seconds: number) => new Date(Math.floor(Date.now() / 1000 - seconds) * 1000);
/** 24 hours after the message's own timestamp. */
const windowEnd = (sent: Payload) => new Date((Number(sent.timestamp) + 24 * 3600) * 1000);

describe('webhook processing: inbound messages', () => {
  let app: TestApp;
  let org: TestOrganization;
  let channel: ChannelRef & { id: string };

  const createChannel = async (owner: TestOrganization) =>
    (await app.client(owner.ownerKey).request<any>(CREATE_CHANNEL, { input: channelInput() })).createChannel.channel;

  /** The message as the organization reads it, or undefined when it is not listed. */
  async function readMessage(id: string, key = org.ownerKey): Promise<Payload | undefined> {
    const result = await app.client(key).request<any>(MESSAGE_BY_WAMID, { wamid: id });
    expect(result.messages.totalCount).toBeLessThanOrEqual(1);
    return result.messages.edges[0]?.node;
  }

  async function readConversation(id: string) {
    return (await app.client(org.ownerKey).request<any>(CONVERSATION, { id })).conversation;
  }

  async function readContact(waId: string, key = org.ownerKey) {
    const result = await app.client(key).request<any>(CONTACT, { waId });
    return result.contacts.edges.map((edge: any) => edge.node);
  }

  /** Delivers one message from a fresh customer and reads it back. */
  async function ingest(build: (from: string) => Payload): Promise<Payload> {
    const customer = newCustomer();
    const sent = build(customer.waId);
    await deliver(app, fromCustomer(channel, customer, sent));
    const stored = await readMessage(sent.id);
    expect(stored).toBeDefined();
    return stored!;
  }

  beforeAll(async () => {
    app = await startTestApp();
    org = await createOrganization(app);
    channel = await createChannel(org);
  });
  afterAll(() => app?.stop());

  describe('every documented message type', () => {
    it('stores a text message with its raw payload, in a conversation of its own', async () => {
      const stored = await ingest((from) => message.text(from, 'Hi, is my order on its way?'));
      expect(stored).toMatchObject({ direction: 'IN', type: 'TEXT', text: 'Hi, is my order on its way?', status: 'RECEIVED', media: null });
      expect(stored.payload).toMatchObject({ type: 'text', text: { body: 'Hi, is my order on its way?' } });
      const conversation = await readConversation(stored.conversation.id);
      expect(conversation.messages.edges.map((edge: any) => edge.node.wamid)).toEqual([stored.wamid]);
    });

    it('stores an image with its media metadata and the caption as text', async () => {
      const stored = await ingest((from) => message.image(from, 'The box arrived like this'));
      expect(stored.type).toBe('IMAGE');
      expect(stored.text).toBe('The box arrived like this');
      expect(stored.media).toEqual(stored.payload.image);
      expect(stored.media).toMatchObject({ mime_type: 'image/jpeg', id: expect.stringMatching(/^\d+$/), sha256: expect.any(String) });
    });

    it('stores a video', async () => {
      const stored = await ingest((from) => message.video(from, 'unboxing'));
      expect(stored).toMatchObject({ type: 'VIDEO', text: 'unboxing', media: { mime_type: 'video/mp4' } });
    });

    it('stores an audio file and a voice note, keeping voice: true', async () => {
      const file = await ingest((from) => message.audio(from, false));
      expect(file).toMatchObject({ type: 'AUDIO', text: null, media: { mime_type: 'audio/mpeg', voice: false } });
      const voice = await ingest((from) => message.audio(from, true));
      expect(voice).toMatchObject({ type: 'AUDIO', media: { mime_type: 'audio/ogg; codecs=opus', voice: true } });
    });

    it('stores a document with its filename', async () => {
      const stored = await ingest((from) => message.document(from, 'invoice-2026-04.pdf', 'my invoice'));
      expect(stored).toMatchObject({ type: 'DOCUMENT', text: 'my invoice', media: { filename: 'invoice-2026-04.pdf', mime_type: 'application/pdf' } });
    });

    it('stores a sticker', async () => {
      const stored = await ingest((from) => message.sticker(from, true));
      expect(stored).toMatchObject({ type: 'STICKER', media: { mime_type: 'image/webp', animated: true } });
    });

    it('stores a location with its coordinates as numbers', async () => {
      const place = { latitude: -23.561414, longitude: -46.655881, name: 'MASP', address: 'Av. Paulista, 1578 - São Paulo', url: 'https://masp.org.br' };
      const stored = await ingest((from) => message.location(from, place));
      expect(stored).toMatchObject({ type: 'LOCATION', location: place, text: 'MASP' });
    });

    it('stores shared contact cards', async () => {
      const cards = [contactCard('João Pereira', '+55 11 97777-0000', '5511977770000'), contactCard('Ana Lima', '+55 21 96666-0000')];
      const stored = await ingest((from) => message.contacts(from, cards));
      expect(stored.type).toBe('CONTACTS');
      expect(stored.payload.contacts).toEqual(JSON.parse(JSON.stringify(cards)));
    });

    it('stores an interactive button reply with its title and the message it answers', async () => {
      const ours = wamid();
      const stored = await ingest((from) => message.buttonReply(from, { id: 'track-order', title: 'Track my order' }, ours));
      expect(stored).toMatchObject({ type: 'INTERACTIVE', text: 'Track my order', replyToWamid: ours });
      expect(stored.payload.interactive).toEqual({ type: 'button_reply', button_reply: { id: 'track-order', title: 'Track my order' } });
    });

    it('stores an interactive list reply', async () => {
      const ours = wamid();
      const row = { id: 'size-m', title: 'Medium', description: 'Chest 96-101 cm' };
      const stored = await ingest((from) => message.listReply(from, row, ours));
      expect(stored).toMatchObject({ type: 'INTERACTIVE', text: 'Medium', replyToWamid: ours });
      expect(stored.payload.interactive.list_reply).toEqual(row);
    });

    it('stores a template quick-reply button with its payload', async () => {
      const ours = wamid();
      const stored = await ingest((from) => message.quickReply(from, { payload: 'STOP_PROMOTIONS', text: 'Stop promotions' }, ours));
      expect(stored).toMatchObject({ type: 'BUTTON', text: 'Stop promotions', replyToWamid: ours });
      expect(stored.payload.button).toEqual({ payload: 'STOP_PROMOTIONS', text: 'Stop promotions' });
    });

    it('keeps the click-to-WhatsApp ad referral', async () => {
      const referral = adReferral();
      const stored = await ingest((from) => message.text(from, 'Is this still available?', { referral }));
      expect(stored).toMatchObject({ type: 'TEXT', referral });
    });

    it('keeps forwarding context without inventing a reply target', async () => {
      const stored = await ingest((from) => message.text(from, 'look at this', { context: { forwarded: true } }));
      expect(stored).toMatchObject({ replyToWamid: null, context: { forwarded: true } });
      const often = await ingest((from) => message.image(from, undefined, { context: { frequently_forwarded: true } }));
      expect(often).toMatchObject({ type: 'IMAGE', context: { frequently_forwarded: true } });
    });

    it('records the wamid a reply answers', async () => {
      const ours = wamid();
      const stored = await ingest((from) => message.text(from, 'yes, that one', { context: replyTo(ours) }));
      expect(stored).toMatchObject({ replyToWamid: ours, text: 'yes, that one' });
    });

    it('stores an unsupported message with Meta error 131051', async () => {
      const stored = await ingest((from) => message.unsupported(from, 'poll_creation'));
      expect(stored).toMatchObject({
        type: 'UNSUPPORTED',
        errorCode: '131051',
        errorTitle: 'Message type unknown',
        errorDetails: 'Message type is currently not supported.',
      });
      expect(stored.payload.unsupported).toEqual({ type: 'poll_creation' });
    });

    it('keeps a type Meta may add tomorrow raw, as UNKNOWN', async () => {
      const poll = { question: 'Lunch?', options: [{ id: 1, text: 'Pizza' }, { id: 2, text: 'Sushi' }] };
      const stored = await ingest((from) => inboundMessage(from, 'poll_v2', poll));
      expect(stored.type).toBe('UNKNOWN');
      expect(stored.payload.type).toBe('poll_v2');
      expect(stored.payload.poll_v2.options).toEqual(poll.options);
    });

    it.each(['constructor', 'toString', '__proto__'])('keeps a type named like a JavaScript built-in (%s) raw, as UNKNOWN', async (kind) => {
      const stored = await ingest((from) => inboundMessage(from, kind, { body: 'hi' }));
      expect(stored).toMatchObject({ type: 'UNKNOWN', text: null, media: null });
      expect(stored.payload.type).toBe(kind);
    });
  });

  describe('reactions', () => {
    it('attaches a reaction to its target message, lists no reaction bubble, and removes it', async () => {
      const customer = newCustomer();
      const hello = message.text(customer.waId, 'hello');
      await deliver(app, fromCustomer(channel, customer, hello));
      const conversationId = (await readMessage(hello.id))!.conversation.id;
      const ours = await insertOutboundMessage(app, conversationId);

      const thumbs = message.reaction(customer.waId, ours.wamid, '👍');
      await deliver(app, fromCustomer(channel, customer, thumbs));
      expect(await readMessage(ours.wamid)).toMatchObject({ direction: 'OUT', reaction: '👍' });
      expect(await readMessage(thumbs.id)).toBeUndefined();
      const conversation = await readConversation(conversationId);
      expect(conversation.messages.edges.map((edge: any) => edge.node.type)).not.toContain('REACTION');
      expect(conversation.lastMessage.wamid).toBe(hello.id);

      await deliver(app, fromCustomer(channel, customer, message.reaction(customer.waId, ours.wamid)));
      expect(await readMessage(ours.wamid)).toMatchObject({ reaction: null });
    });

    it('keeps the latest reaction when an older one arrives late', async () => {
      const customer = newCustomer();
      const hello = message.text(customer.waId, 'hello', { at: secondsAgo(600) });
      await deliver(app, fromCustomer(channel, customer, hello));
      const ours = await insertOutboundMessage(app, (await readMessage(hello.id))!.conversation.id);

      await deliver(app, fromCustomer(channel, customer, message.reaction(customer.waId, ours.wamid, '❤️', { at: secondsAgo(60) })));
      await deliver(app, fromCustomer(channel, customer, message.reaction(customer.waId, ours.wamid, '😂', { at: secondsAgo(120) })));
      expect(await readMessage(ours.wamid)).toMatchObject({ reaction: '❤️' });

      // A removal older than the current reaction does not remove it either.
      await deliver(app, fromCustomer(channel, customer, message.reaction(customer.waId, ours.wamid, undefined, { at: secondsAgo(90) })));
      expect(await readMessage(ours.wamid)).toMatchObject({ reaction: '❤️' });
    });
  });

  describe('routing and contacts', () => {
    it('joins contacts to messages by wa_id, not by position', async () => {
      const ana = newCustomer('Ana Lima');
      const bruno = newCustomer('Bruno Costa');
      const fromAna = message.text(ana.waId, 'from Ana');
      const fromBruno = message.text(bruno.waId, 'from Bruno');
      await deliver(app, messagesEnvelope(channel, { contacts: [profile(bruno), profile(ana)], messages: [fromAna, fromBruno] }));

      expect(await readContact(ana.waId)).toMatchObject([{ waId: ana.waId, name: 'Ana Lima' }]);
      expect(await readContact(bruno.waId)).toMatchObject([{ waId: bruno.waId, name: 'Bruno Costa' }]);
      const anaMessage = await readMessage(fromAna.id);
      const brunoMessage = await readMessage(fromBruno.id);
      expect(anaMessage!.conversation.id).not.toBe(brunoMessage!.conversation.id);
    });

    it('keeps the newest profile name when an older message arrives later', async () => {
      const customer = newCustomer('Dora');
      const recent = message.text(customer.waId, 'new name', { at: secondsAgo(60) });
      const older = message.text(customer.waId, 'old name', { at: secondsAgo(600) });
      await deliver(app, fromCustomer(channel, { ...customer, name: 'Dora Alves' }, recent));
      await deliver(app, fromCustomer(channel, { ...customer, name: 'Dora' }, older));
      expect(await readContact(customer.waId)).toMatchObject([{ name: 'Dora Alves' }]);
    });

    it('routes one delivery spanning two channels of two organizations, each seeing only its own', async () => {
      const other = await createOrganization(app, 'Other Co');
      const otherChannel = await createChannel(other);
      // The same person writes to both businesses.
      const customer = newCustomer('Carla Dias');
      const toUs = message.text(customer.waId, 'to Acme');
      const toThem = message.text(customer.waId, 'to Other Co');
      await deliver(app, batch(fromCustomer(channel, customer, toUs), fromCustomer(otherChannel, customer, toThem)));

      expect(await readMessage(toUs.id, org.ownerKey)).toMatchObject({ text: 'to Acme' });
      expect(await readMessage(toThem.id, org.ownerKey)).toBeUndefined();
      expect(await readMessage(toThem.id, other.ownerKey)).toMatchObject({ text: 'to Other Co' });
      expect(await readMessage(toUs.id, other.ownerKey)).toBeUndefined();
      const ours = await readContact(customer.waId, org.ownerKey);
      const theirs = await readContact(customer.waId, other.ownerKey);
      expect(ours).toHaveLength(1);
      expect(theirs).toHaveLength(1);
      expect(ours[0].id).not.toBe(theirs[0].id);
    });

    it('records an unknown phone_number_id as ignored with the reason and stores the known one beside it', async () => {
      const customer = newCustomer();
      const unknown: ChannelRef = { phoneNumberId: '100000000000999', wabaId: '200000000000999', displayPhoneNumber: '+1 555 999 0000' };
      const known = message.text(customer.waId, 'to a known number');
      const lost = message.text(customer.waId, 'to a number nobody registered');
      const body = batch(fromCustomer(unknown, customer, lost), fromCustomer(channel, customer, known));
      await deliver(app, body);

      expect(await readMessage(known.id)).toMatchObject({ text: 'to a known number' });
      expect(await rows(app, 'select 1 from message where wamid = ?', [lost.id])).toHaveLength(0);
      const deliveries = await app.client(TEST_SECRETS.ADMIN_TOKEN).request<any>(DELIVERIES);
      const stored = deliveries.webhookDeliveries.edges.find((edge: any) => edge.node.rawBody === JSON.stringify(body)).node;
      expect(stored.status).toBe('PROCESSED');
      expect(stored.issues).toEqual([
        { path: 'entry[0].changes[0]', kind: 'ignored', reason: expect.stringContaining('phone_number_id 100000000000999') },
      ]);
    });

    it('finds a number it did not know once its channel is registered', async () => {
      const customer = newCustomer();
      const input = channelInput();
      const later: ChannelRef = { phoneNumberId: input.phoneNumberId, wabaId: input.wabaId, displayPhoneNumber: input.displayPhoneNumber };
      const early = message.text(customer.waId, 'before the number was registered');
      await deliver(app, batch(fromCustomer(later, customer, early)));
      expect(await rows(app, 'select 1 from message where wamid = ?', [early.id])).toHaveLength(0);

      await app.client(org.ownerKey).request<any>(CREATE_CHANNEL, { input });
      const first = message.text(customer.waId, 'after');
      await deliver(app, batch(fromCustomer(later, customer, first)));
      expect(await readMessage(first.id)).toMatchObject({ text: 'after' });
      // And again, now that the worker knows it.
      const second = message.text(customer.waId, 'and again');
      await deliver(app, batch(fromCustomer(later, customer, second)));
      expect(await readMessage(second.id)).toMatchObject({ text: 'and again' });
    });

    it('quarantines malformed items with their reasons and stores the valid ones beside them', async () => {
      const customer = newCustomer();
      const first = message.text(customer.waId, 'first');
      const last = message.text(customer.waId, 'last');
      const { id: _id, ...withoutId } = message.text(customer.waId, 'no id');
      const badTime: Payload = { ...message.text(customer.waId, 'bad time'), timestamp: 'abc' };
      const hugeId = message.text(customer.waId, 'id longer than any wamid', { id: `wamid.${'A'.repeat(300)}` });
      const body = messagesEnvelope(channel, { contacts: [profile(customer)], messages: [first, withoutId, badTime, 'not a message', hugeId, last] });
      await deliver(app, body);

      expect(await readMessage(first.id)).toMatchObject({ text: 'first' });
      expect(await readMessage(last.id)).toMatchObject({ text: 'last' });
      expect(await rows(app, 'select 1 from message where wamid = ?', [badTime.id])).toHaveLength(0);
      const deliveries = await app.client(TEST_SECRETS.ADMIN_TOKEN).request<any>(DELIVERIES);
      const stored = deliveries.webhookDeliveries.edges.find((edge: any) => edge.node.rawBody === JSON.stringify(body)).node;
      expect(stored.status).toBe('PROCESSED');
      expect(stored.issues).toEqual([
        { path: 'entry[0].changes[0].value.messages[1]', kind: 'quarantined', reason: 'message has no id' },
        { path: 'entry[0].changes[0].value.messages[2]', kind: 'quarantined', reason: 'message has no valid timestamp' },
        { path: 'entry[0].changes[0].value.messages[3]', kind: 'quarantined', reason: 'message is not an object' },
        { path: 'entry[0].changes[0].value.messages[4]', kind: 'quarantined', reason: 'invalid value: value too long for type character varying(255) (SQLSTATE 22001)' },
      ]);
    });

    it('gets through shapes no JSON schema of Meta allows, storing what it can, in one attempt', async () => {
      const customer = newCustomer();
      // An object whose toString is not a function cannot be turned into a string by String().
      const trap = { toString: 1 };
      const oddError = message.unsupported(customer.waId, 'edit', { errors: [{ code: trap, title: trap, error_data: { details: trap } }] });
      const oddProfile = { profile: { name: 12345, username: ['x'] }, wa_id: customer.waId, user_id: { id: 1 } };
      const plain = message.text(customer.waId, 'still here');
      const body = messagesEnvelope(channel, {
        contacts: [oddProfile],
        messages: [oddError, plain],
        statuses: [{ id: wamid(), status: trap, timestamp: '1700000000' }],
        errors: [{ code: trap, title: trap }],
      });
      await deliver(app, body);

      expect(await readMessage(plain.id)).toMatchObject({ text: 'still here' });
      expect(await readMessage(oddError.id)).toMatchObject({ type: 'UNSUPPORTED', errorTitle: null });
      const deliveries = await app.client(TEST_SECRETS.ADMIN_TOKEN).request<any>(DELIVERIES);
      const stored = deliveries.webhookDeliveries.edges.find((edge: any) => edge.node.rawBody === JSON.stringify(body)).node;
      expect(stored).toMatchObject({ status: 'PROCESSED', attempts: 1 });
      expect(stored.issues).toEqual([
        { path: 'entry[0].changes[0].value.statuses[0]', kind: 'quarantined', reason: 'unknown status {"toString":1}' },
        { path: 'entry[0].changes[0].value.errors[0]', kind: 'ignored', reason: 'Meta error {"toString":1}: {"toString":1}' },
      ]);
      expect(await readContact(customer.waId)).toMatchObject([{ waId: customer.waId, name: null }]);
    });
  });

  describe('text is stored exactly', () => {
    it.each([
      ['emoji with skin tones, ZWJ families and flags', 'Oi 👋🏽 👨‍👩‍👧‍👦 🇧🇷 🏳️‍🌈'],
      ['right-to-left text with bidi marks', 'مرحبا، أين طلبي؟ \u200F123 שלום'],
      ['combining marks, not normalized', 'Jose\u0301 na\u0303o e\u0300 Z\u0351\u036b\u0343\u036a\u0302'],
      ['markup and template syntax', '<script>alert(1)</script> {{email}} ${x} \'; drop table message; --'],
      ['a 10,000-character text', 'Ç'.repeat(9_999) + '!'],
    ])('%s', async (_what, text) => {
      const stored = await ingest((from) => message.text(from, text));
      expect(stored.text).toBe(text);
      expect(stored.payload.text.body).toBe(text);
    });

    it('makes NUL and a lone surrogate safe instead of failing: stored and readable, NUL as U+FFFD', async () => {
      const stored = await ingest((from) => message.text(from, 'a\u0000b \uD83D end'));
      expect(stored.text).toBe('a\uFFFDb \uFFFD end');
      expect(stored.payload.text.body).toBe('a\uFFFDb \uFFFD end');
    });
  });

  describe('the 24-hour window', () => {
    it('runs from the message timestamp and never moves back when an older message arrives later', async () => {
      const customer = newCustomer();
      const recent = message.text(customer.waId, 'recent', { at: secondsAgo(3 * 3600) });
      await deliver(app, fromCustomer(channel, customer, recent));
      const conversationId = (await readMessage(recent.id))!.conversation.id;
      const expected = windowEnd(recent);
      expect(await readConversation(conversationId)).toMatchObject({ window: { isOpen: true, expiresAt: expected.toISOString() } });

      const older = message.text(customer.waId, 'older, delivered late', { at: secondsAgo(5 * 3600) });
      await deliver(app, fromCustomer(channel, customer, older));
      const after = await readConversation(conversationId);
      expect(after.window).toEqual({ isOpen: true, expiresAt: expected.toISOString() });
      expect(after.lastMessage.wamid).toBe(recent.id);
      expect(after.messages.totalCount).toBe(2);

      const newer = message.text(customer.waId, 'newer', { at: secondsAgo(3600) });
      await deliver(app, fromCustomer(channel, customer, newer));
      expect((await readConversation(conversationId)).window.expiresAt).toBe(windowEnd(newer).toISOString());
    });

    it('is closed when the only message is older than 24 hours', async () => {
      const customer = newCustomer();
      const stale = message.text(customer.waId, 'sent yesterday, delivered today', { at: secondsAgo(30 * 3600) });
      await deliver(app, fromCustomer(channel, customer, stale));
      const conversation = await readConversation((await readMessage(stale.id))!.conversation.id);
      expect(conversation.window).toEqual({ isOpen: false, expiresAt: windowEnd(stale).toISOString() });
    });
  });

  describe('duplicates', () => {
    const eventCount = async (type: string, id: string) =>
      (await rows<{ n: number }>(app, `select count(*)::int as n from conversation_event where type = ? and data->>'wamid' = ?`, [type, id]))[0]!.n;

    it('stores the same delivery POSTed 5 times in parallel once, with one MESSAGE_RECEIVED event', async () => {
      const customer = newCustomer();
      const sent = message.text(customer.waId, 'are you there?');
      const body = fromCustomer(channel, customer, sent);
      const responses = await Promise.all(Array.from({ length: 5 }, () => postWebhook(app.url, body)));
      expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
      await waitForQueuesIdle(app.queues);

      expect(await rows(app, 'select 1 from message where wamid = ?', [sent.id])).toHaveLength(1);
      expect(await eventCount('MESSAGE_RECEIVED', sent.id)).toBe(1);
      const conversationId = (await readMessage(sent.id))!.conversation.id;
      const opened = await rows<{ n: number }>(app, `select count(*)::int as n from conversation_event where type = 'CONVERSATION_OPENED' and conversation_id = ?`, [conversationId]);
      expect(opened[0]!.n).toBe(1);
    });

    it('stores a wamid found in two different deliveries, and twice in one, once', async () => {
      const customer = newCustomer();
      const sent = message.text(customer.waId, 'first copy');
      const fresh = message.text(customer.waId, 'a new one');
      await deliver(app, fromCustomer(channel, customer, sent));
      // Meta's retry is a different POST: another batch, another profile name, the same message.
      await deliver(app, batch(fromCustomer(channel, { ...customer, name: 'Maria S.' }, sent, fresh, sent)));

      expect(await readMessage(sent.id)).toMatchObject({ text: 'first copy' });
      expect(await readMessage(fresh.id)).toMatchObject({ text: 'a new one' });
      expect(await rows(app, 'select 1 from message where wamid = ?', [sent.id])).toHaveLength(1);
      expect(await eventCount('MESSAGE_RECEIVED', sent.id)).toBe(1);
      const conversation = await readConversation((await readMessage(sent.id))!.conversation.id);
      expect(conversation.messages.totalCount).toBe(2);
    });
  });
});
