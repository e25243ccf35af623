import { gql } from 'graphql-request';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { channelInput, createOrganization, type TestOrganization } from '../helpers/fixtures';
import { postWebhook, wamid, type ChannelRef } from '../helpers/meta-webhook';
import { waitForQueuesIdle } from '../helpers/wait';
import { systemEm } from '../../src/db/entity-manager';
import { MessageStatus } from '../../src/domain/message-status';
import { applyParkedStatuses } from '../../src/services/inbound/message-status.service';
import {
  deliver,
  deliveryOf,
  fromCustomer,
  insertOutboundMessage,
  message,
  metaError,
  pricing,
  rows,
  status,
  statuses,
  type Payload,
} from '../helpers/meta-payloads';

const CREATE_CHANNEL = gql`
  mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id phoneNumberId wabaId displayPhoneNumber } } }
`;
const MESSAGE = gql`
  query ($wamid: String) {
    messages(filter: { wamid: $wamid, direction: OUT }) {
      edges { node { wamid status sentAt deliveredAt readAt playedAt failedAt errorCode errorTitle errorDetails pricingCategory pricingModel } }
    }
  }
`;

const minutesAgo = (minutes: number) => new Date(Math.floor(Date.now() / 60_000 - minutes) * 60_000);
const iso = (date: Date) => date.toISOString();

describe('webhook processing: statuses of our outbound messages', () => {
  let app: TestApp;
  let org: TestOrganization;
  let channel: ChannelRef;
  let customerSequence = 0;

  const createChannel = async (owner: TestOrganization) =>
    (await app.client(owner.ownerKey).request<any>(CREATE_CHANNEL, { input: channelInput() })).createChannel.channel;

  /** A conversation started by a new customer, and one outbound message of ours in it. */
  async function outbound(initial: MessageStatus = MessageStatus.SENT, on: ChannelRef = channel) {
    customerSequence += 1;
    const customer = { waId: `55219${String(Date.now()).slice(-6)}${customerSequence}`, name: 'Paulo Reis' };
    const hello = message.text(customer.waId, 'hello', { at: minutesAgo(60) });
    await deliver(app, fromCustomer(on, customer, hello));
    const [row] = await rows<{ conversation_id: string }>(app, 'select conversation_id from message where wamid = ?', [hello.id]);
    return insertOutboundMessage(app, row!.conversation_id, { status: initial });
  }

  async function read(id: string, key = org.ownerKey): Promise<Payload> {
    const result = await app.client(key).request<any>(MESSAGE, { wamid: id });
    return result.messages.edges[0].node;
  }

  const statusEvents = async (messageId: string) =>
    rows<{ reported: string; status: string }>(
      app,
      `select data->>'reported' as reported, data->>'status' as status from conversation_event
       where type = 'MESSAGE_STATUS_CHANGED' and data->>'messageId' = ? order by id`,
      [messageId],
    );

  beforeAll(async () => {
    app = await startTestApp();
    org = await createOrganization(app);
    channel = await createChannel(org);
  });
  afterAll(() => app?.stop());

  describe('applying statuses by wamid', () => {
    it('records sent, delivered and read with the time of each and the pricing', async () => {
      const ours = await outbound(MessageStatus.QUEUED);
      const sentAt = minutesAgo(30);
      const deliveredAt = minutesAgo(29);
      const readAt = minutesAgo(20);
      await deliver(app, statuses(channel, status(ours.wamid, 'sent', { at: sentAt, pricing: pricing('marketing') })));
      expect(await read(ours.wamid)).toMatchObject({ status: 'SENT', sentAt: iso(sentAt), deliveredAt: null, pricingCategory: 'marketing', pricingModel: 'PMP' });
      await deliver(app, statuses(channel, status(ours.wamid, 'delivered', { at: deliveredAt, pricing: pricing('marketing') })));
      await deliver(app, statuses(channel, status(ours.wamid, 'read', { at: readAt })));

      expect(await read(ours.wamid)).toEqual({
        wamid: ours.wamid,
        status: 'READ',
        sentAt: iso(sentAt),
        deliveredAt: iso(deliveredAt),
        readAt: iso(readAt),
        playedAt: null,
        failedAt: null,
        errorCode: null,
        errorTitle: null,
        errorDetails: null,
        pricingCategory: 'marketing',
        pricingModel: 'PMP',
      });
      expect(await statusEvents(ours.id)).toEqual([
        { reported: 'SENT', status: 'SENT' },
        { reported: 'DELIVERED', status: 'DELIVERED' },
        { reported: 'READ', status: 'READ' },
      ]);
    });

    it("keeps the time and pricing of Meta's sent for a message already SENT, without logging SENT a second time", async () => {
      const ours = await outbound(MessageStatus.SENT);
      await deliver(app, statuses(channel, status(ours.wamid, 'sent', { at: minutesAgo(4), pricing: pricing('utility') })));
      expect(await read(ours.wamid)).toMatchObject({ status: 'SENT', pricingCategory: 'utility' });
      expect(await statusEvents(ours.id)).toEqual([]);
      await deliver(app, statuses(channel, status(ours.wamid, 'delivered', { at: minutesAgo(3) })));
      expect(await statusEvents(ours.id)).toEqual([{ reported: 'DELIVERED', status: 'DELIVERED' }]);
    });

    it('records played after read (a voice note listened to)', async () => {
      const ours = await outbound();
      const playedAt = minutesAgo(5);
      await deliver(app, statuses(channel, status(ours.wamid, 'read', { at: minutesAgo(6) }), status(ours.wamid, 'played', { at: playedAt })));
      expect(await read(ours.wamid)).toMatchObject({ status: 'PLAYED', playedAt: iso(playedAt) });
    });

    it('keeps the pricing category given on delivered when sent had none', async () => {
      const ours = await outbound();
      await deliver(app, statuses(channel, status(ours.wamid, 'delivered', { pricing: pricing('service', 'free_customer_service') })));
      expect(await read(ours.wamid)).toMatchObject({ status: 'DELIVERED', pricingCategory: 'service', pricingModel: 'PMP' });
    });
  });

  describe('failures', () => {
    it("keeps Meta's error code, title and details with the time of failure", async () => {
      const ours = await outbound();
      const failedAt = minutesAgo(2);
      const error = metaError(131047, 'Re-engagement message', 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.');
      await deliver(app, statuses(channel, status(ours.wamid, 'failed', { at: failedAt, errors: [error] })));
      expect(await read(ours.wamid)).toMatchObject({
        status: 'FAILED',
        failedAt: iso(failedAt),
        errorCode: '131047',
        errorTitle: 'Re-engagement message',
        errorDetails: error.error_data.details,
      });

      // Nothing moves a failed message again.
      await deliver(app, statuses(channel, status(ours.wamid, 'delivered', { at: minutesAgo(1) })));
      expect(await read(ours.wamid)).toMatchObject({ status: 'FAILED', errorCode: '131047' });
    });

    it('does not undo a delivery the customer already saw when a failure is reported after it', async () => {
      const ours = await outbound();
      await deliver(app, statuses(channel, status(ours.wamid, 'delivered', { at: minutesAgo(3) })));
      await deliver(app, statuses(channel, status(ours.wamid, 'failed', { at: minutesAgo(2), errors: [metaError(131000, 'Something went wrong', 'Unknown error')] })));
      expect(await read(ours.wamid)).toMatchObject({ status: 'DELIVERED' });
      expect(await statusEvents(ours.id)).toEqual([
        { reported: 'DELIVERED', status: 'DELIVERED' },
        { reported: 'FAILED', status: 'DELIVERED' },
      ]);
    });
  });

  describe('duplicates and order', () => {
    it('applies each (wamid, status) once: a second delivered changes nothing', async () => {
      const ours = await outbound();
      const first = minutesAgo(10);
      await deliver(app, statuses(channel, status(ours.wamid, 'delivered', { at: first })));
      await deliver(app, statuses(channel, status(ours.wamid, 'delivered', { at: minutesAgo(8) })));
      expect(await read(ours.wamid)).toMatchObject({ status: 'DELIVERED', deliveredAt: iso(first) });
      expect(await rows(app, 'select 1 from message_status_update where wamid = ?', [ours.wamid])).toHaveLength(1);
      expect(await statusEvents(ours.id)).toHaveLength(1);
    });

    it('applies a status POSTed 5 times in parallel once', async () => {
      const ours = await outbound();
      const body = statuses(channel, status(ours.wamid, 'read'));
      const responses = await Promise.all(Array.from({ length: 5 }, () => postWebhook(app.url, body)));
      expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
      await waitForQueuesIdle(app.queues);
      expect(await read(ours.wamid)).toMatchObject({ status: 'READ' });
      expect(await statusEvents(ours.id)).toEqual([{ reported: 'READ', status: 'READ' }]);
    });

    it('never moves back: read, then a late delivered, stays READ with deliveredAt recorded', async () => {
      const ours = await outbound();
      const deliveredAt = minutesAgo(12);
      const readAt = minutesAgo(11);
      await deliver(app, statuses(channel, status(ours.wamid, 'read', { at: readAt })));
      await deliver(app, statuses(channel, status(ours.wamid, 'delivered', { at: deliveredAt })));
      expect(await read(ours.wamid)).toMatchObject({ status: 'READ', readAt: iso(readAt), deliveredAt: iso(deliveredAt) });
    });

    it('ends at READ whatever order one batch lists read, sent and delivered in', async () => {
      const ours = await outbound(MessageStatus.QUEUED);
      const times = { sent: minutesAgo(15), delivered: minutesAgo(14), read: minutesAgo(13) };
      await deliver(
        app,
        statuses(
          channel,
          status(ours.wamid, 'read', { at: times.read }),
          status(ours.wamid, 'sent', { at: times.sent, pricing: pricing('utility') }),
          status(ours.wamid, 'delivered', { at: times.delivered }),
        ),
      );
      expect(await read(ours.wamid)).toMatchObject({
        status: 'READ',
        sentAt: iso(times.sent),
        deliveredAt: iso(times.delivered),
        readAt: iso(times.read),
        pricingCategory: 'utility',
      });
    });
  });

  describe('statuses for messages we do not know (yet)', () => {
    it('parks them and applies them when the message appears', async () => {
      const future = wamid();
      const sentAt = minutesAgo(4);
      const deliveredAt = minutesAgo(3);
      await deliver(app, statuses(channel, status(future, 'delivered', { at: deliveredAt }), status(future, 'sent', { at: sentAt, pricing: pricing('utility') })));
      const parked = await rows(app, 'select status, applied_at from message_status_update where wamid = ? order by occurred_at', [future]);
      expect(parked).toEqual([
        { status: 'SENT', applied_at: null },
        { status: 'DELIVERED', applied_at: null },
      ]);

      // The send pipeline (not built yet) gives the message its wamid and then applies what was parked.
      const ours = await outbound(MessageStatus.QUEUED);
      await rows(app, 'update message set wamid = ? where id = ?', [future, ours.id]);
      const events = await systemEm(app.orm).transactional((tx) => applyParkedStatuses(tx, ours.id, future));
      expect(events.map((event) => event.data.status)).toEqual(['SENT', 'DELIVERED']);

      expect(await read(future)).toMatchObject({ status: 'DELIVERED', sentAt: iso(sentAt), deliveredAt: iso(deliveredAt), pricingCategory: 'utility' });
      const applied = await rows(app, 'select applied_at from message_status_update where wamid = ?', [future]);
      expect(applied.every((row) => row.applied_at !== null)).toBe(true);
      // Applying again finds nothing left to apply.
      expect(await systemEm(app.orm).transactional((tx) => applyParkedStatuses(tx, ours.id, future))).toEqual([]);
    });

    it("never applies a status arriving on one organization's number to another organization's message", async () => {
      const other = await createOrganization(app, 'Other Co');
      const otherChannel = await createChannel(other);
      const ours = await outbound();
      await deliver(app, statuses(otherChannel, status(ours.wamid, 'read')));
      expect(await read(ours.wamid)).toMatchObject({ status: 'SENT', readAt: null });
    });

    it('quarantines a status of an unknown kind or without an id and applies the one beside it', async () => {
      const ours = await outbound();
      const { id: _id, ...withoutId } = status(ours.wamid, 'delivered');
      const unknown = (name: string) => ({ ...status(ours.wamid, 'read'), status: name });
      const body = statuses(channel, unknown('deleted'), withoutId, unknown('constructor'), status(ours.wamid, 'read'));
      await deliver(app, body);
      expect(await read(ours.wamid)).toMatchObject({ status: 'READ' });
      expect((await deliveryOf(app, JSON.stringify(body))).issues).toEqual([
        { path: 'entry[0].changes[0].value.statuses[0]', kind: 'quarantined', reason: 'unknown status "deleted"' },
        { path: 'entry[0].changes[0].value.statuses[1]', kind: 'quarantined', reason: 'status has no message id' },
        { path: 'entry[0].changes[0].value.statuses[2]', kind: 'quarantined', reason: 'unknown status "constructor"' },
      ]);
    });
  });
});
