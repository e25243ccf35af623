import { randomUUID } from 'node:crypto';
import { gql } from 'graphql-request';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { channelInput, createOrganization, errorCodes, firstError, type TestOrganization } from '../helpers/fixtures';
import { TEST_SECRETS } from '../helpers/test-env';
import { messagesEnvelope, wamid, type ChannelRef } from '../helpers/meta-webhook';
import { waitForQueuesIdle } from '../helpers/wait';
import { MessageStatus } from '../../src/domain/message-status';
import {
  accountUpdate,
  deliver,
  deliveryOf,
  fromCustomer,
  insertOutboundMessage,
  message,
  metaError,
  phoneNumberQuality,
  pricing,
  profile,
  rows,
  status,
  statuses,
  templateCategoryWarning,
  templateQuality,
  templateStatus,
} from '../helpers/meta-payloads';

const CREATE_CHANNEL = gql`
  mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id phoneNumberId wabaId displayPhoneNumber } } }
`;
const REPLAY = gql`
  mutation ($input: ReplayWebhookDeliveriesInput!) { replayWebhookDeliveries(input: $input) { replayed } }
`;
const DELIVERIES = gql`
  query ($status: WebhookDeliveryStatus) { webhookDeliveries(status: $status, first: 100) { edges { node { id status issues lastError } } } }
`;
const MESSAGES = gql`
  query { messages(first: 50) { totalCount edges { node { wamid text } } } }
`;

/** Columns our clock sets (not Meta's): they may differ after a replay, nothing else may. */
const CLOCK_COLUMNS = ['created_at', 'updated_at', 'applied_at', 'account_updated_at', 'processed_at', 'attempts'];

const minutesAgo = (minutes: number) => new Date(Math.floor(Date.now() / 60_000 - minutes) * 60_000);

describe('webhook processing: replay', () => {
  let app: TestApp;
  let org: TestOrganization;
  let channel: ChannelRef & { id: string };
  const operator = () => app.client(TEST_SECRETS.ADMIN_TOKEN);

  const createChannel = async (owner: TestOrganization, input = channelInput()) =>
    (await app.client(owner.ownerKey).request<any>(CREATE_CHANNEL, { input })).createChannel.channel;

  async function replay(input: { ids?: string[]; allFailed?: boolean }): Promise<number> {
    const result = await operator().request<any>(REPLAY, { input });
    await waitForQueuesIdle(app.queues);
    return result.replayWebhookDeliveries.replayed;
  }

  /** Every row processing can write, minus what our clock sets, in a stable order. */
  async function snapshot() {
    const table = async (name: string, orderBy: string, columns = '*') => {
      const found = await rows(app, `select ${columns} from ${name} order by ${orderBy}`);
      return found.map((row) => Object.fromEntries(Object.entries(row).filter(([key]) => !CLOCK_COLUMNS.includes(key))));
    };
    return {
      contact: await table('contact', 'id'),
      conversation: await table('conversation', 'id'),
      message: await table('message', 'id'),
      message_status_update: await table('message_status_update', 'id'),
      // The log's own ids are a sequence: a duplicate would show up as an extra entry.
      conversation_event: await table('conversation_event', 'id', 'organization_id, conversation_id, type, data'),
      template: await table('template', 'id'),
      channel: await table('channel', 'id'),
      webhook_delivery: await table('webhook_delivery', 'id', 'id, status, issues, last_error'),
    };
  }

  beforeAll(async () => {
    app = await startTestApp();
    org = await createOrganization(app);
    channel = await createChannel(org);
  });
  afterAll(() => app?.stop());

  describe('replaying accepted deliveries', () => {
    const bodies: unknown[] = [];
    let ids: string[] = [];
    const accept = async (body: unknown) => {
      bodies.push(body);
      await deliver(app, body);
    };

    beforeAll(async () => {
      const ana = { waId: '5511987650001', name: 'Ana Lima' };
      const bruno = { waId: '5511987650002', name: 'Bruno Costa' };
      const hello = message.text(ana.waId, 'hello', { at: minutesAgo(50) });
      // Two senders, contacts listed in the other order; a malformed item beside them.
      const { id: _id, ...withoutId } = message.text(bruno.waId, 'lost');
      await accept(
        messagesEnvelope(channel, {
          contacts: [profile(bruno), profile(ana)],
          messages: [hello, message.image(bruno.waId, 'photo', { at: minutesAgo(49) }), withoutId, message.location(ana.waId, { latitude: -22.9, longitude: -43.2 }, { at: minutesAgo(48) })],
        }),
      );
      const [row] = await rows<{ conversation_id: string }>(app, 'select conversation_id from message where wamid = ?', [hello.id]);
      const shipped = await insertOutboundMessage(app, row!.conversation_id, { status: MessageStatus.SENT });
      const reminder = await insertOutboundMessage(app, row!.conversation_id, { status: MessageStatus.QUEUED });

      await accept(fromCustomer(channel, ana, message.reaction(ana.waId, shipped.wamid, '👍', { at: minutesAgo(40) })));
      await accept(fromCustomer(channel, ana, message.reaction(ana.waId, shipped.wamid, '🙏', { at: minutesAgo(39) })));
      await accept(statuses(channel, status(shipped.wamid, 'delivered', { at: minutesAgo(45), pricing: pricing('utility') }), status(shipped.wamid, 'read', { at: minutesAgo(41) })));
      await accept(statuses(channel, status(reminder.wamid, 'failed', { at: minutesAgo(38), errors: [metaError(131026, 'Message undeliverable', 'Receiver is incapable of receiving this message')] })));
      await accept(statuses(channel, status(wamid(), 'delivered', { at: minutesAgo(37) })));
      await accept(fromCustomer(channel, { ...ana, name: 'Ana L.' }, message.text(ana.waId, 'thanks!', { at: minutesAgo(10), context: { from: '15550100000', id: shipped.wamid } })));
      await accept(fromCustomer(channel, { ...ana, name: 'Ana' }, message.text(ana.waId, 'older, late', { at: minutesAgo(30) })));

      const template = { id: 1_048_576_000_000_777, name: 'order_shipped', language: 'pt_BR' };
      await accept(templateStatus(channel.wabaId, template, 'APPROVED'));
      await accept(templateQuality(channel.wabaId, template, 'UNKNOWN', 'YELLOW'));
      await accept(templateCategoryWarning(channel.wabaId, template, 'UTILITY', 'MARKETING', new Date(Date.now() + 86_400_000)));
      await accept(phoneNumberQuality(channel.wabaId, channel.displayPhoneNumber, 'ONBOARDING', 'TIER_10K'));
      await accept(accountUpdate(channel.wabaId, 'ACCOUNT_RESTRICTION', { restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: 1_767_225_600 }] }));

      ids = await Promise.all(bodies.map(async (body) => (await deliveryOf(app, JSON.stringify(body))).id));
    });

    it('leaves the same state after replaying every delivery 3 times', async () => {
      const before = await snapshot();
      expect(before.message.length).toBeGreaterThan(5);
      for (let round = 0; round < 3; round += 1) expect(await replay({ ids })).toBe(ids.length);
      expect(await snapshot()).toEqual(before);
    });

    it('leaves the same state after replaying each delivery alone, newest first', async () => {
      const before = await snapshot();
      for (const id of [...ids].reverse()) expect(await replay({ ids: [id] })).toBe(1);
      expect(await snapshot()).toEqual(before);
    });
  });

  it('stores the messages of a delivery that arrived before its channel was registered', async () => {
    const input = channelInput();
    const early: ChannelRef = { phoneNumberId: input.phoneNumberId as string, wabaId: input.wabaId as string, displayPhoneNumber: input.displayPhoneNumber as string };
    const customer = { waId: '5511987650009', name: 'Edu Souza' };
    const first = message.text(customer.waId, 'anyone there?');
    const body = fromCustomer(early, customer, first);
    await deliver(app, body);
    const ignored = await deliveryOf(app, JSON.stringify(body));
    expect(ignored.issues).toEqual([{ path: 'entry[0].changes[0]', kind: 'ignored', reason: expect.stringContaining(early.phoneNumberId) }]);

    const late = await createOrganization(app, 'Late Co');
    await createChannel(late, input);
    expect(await replay({ ids: [ignored.id] })).toBe(1);

    const seen = await app.client(late.ownerKey).request<any>(MESSAGES);
    expect(seen.messages.edges.map((edge: any) => edge.node)).toEqual([{ wamid: first.id, text: 'anyone there?' }]);
    expect(await deliveryOf(app, JSON.stringify(body))).toMatchObject({ status: 'PROCESSED', issues: null });
  });

  it('replays every FAILED delivery with allFailed', async () => {
    const customer = { waId: '5511987650010', name: 'Fabi Rocha' };
    const lost = message.text(customer.waId, 'sent while we were down');
    // What a delivery looks like once its retries ran out (markDeliveryFailed).
    const id = randomUUID();
    await rows(app, `insert into webhook_delivery (id, raw_body, received_at, status, attempts, last_error) values (?, ?, now(), 'FAILED', 10, 'connect ECONNREFUSED')`, [
      id,
      JSON.stringify(fromCustomer(channel, customer, lost)),
    ]);
    const failed = await operator().request<any>(DELIVERIES, { status: 'FAILED' });
    expect(failed.webhookDeliveries.edges.map((edge: any) => edge.node.id)).toEqual([id]);

    expect(await replay({ allFailed: true })).toBe(1);
    expect(await rows(app, 'select text from message where wamid = ?', [lost.id])).toEqual([{ text: 'sent while we were down' }]);
    expect((await operator().request<any>(DELIVERIES, { status: 'FAILED' })).webhookDeliveries.edges).toEqual([]);
    expect(await rows(app, 'select status, last_error from webhook_delivery where id = ?', [id])).toEqual([{ status: 'PROCESSED', last_error: null }]);
  });

  it('refuses malformed ids and names them', async () => {
    const error = await firstError(operator().request(REPLAY, { input: { ids: [randomUUID(), 'not-a-delivery-id'] } }));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'ids' });
    expect(error.message).toContain('not-a-delivery-id');
    expect((await firstError(operator().request(REPLAY, { input: {} }))).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'ids' });
  });

  it('replays nothing for an id no delivery has', async () => {
    expect(await replay({ ids: [randomUUID()] })).toBe(0);
  });

  it('is for the operator only', async () => {
    const [any] = await rows<{ id: string }>(app, 'select id from webhook_delivery limit 1');
    expect(await errorCodes(app.client(org.ownerKey).request(REPLAY, { input: { ids: [any!.id] } }))).toEqual(['FORBIDDEN']);
    expect(await errorCodes(app.client().request(REPLAY, { input: { allFailed: true } }))).toEqual(['UNAUTHENTICATED']);
  });
});
