import { randomUUID } from 'node:crypto';
import { gql } from 'graphql-request';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { channelInput, createOrganization, type TestOrganization } from '../helpers/fixtures';
import { wamid, type ChannelRef } from '../helpers/meta-webhook';
import { waitForQueuesIdle } from '../helpers/wait';
import { MessageStatus } from '../../src/domain/message-status';
import { refresh } from '../helpers/analytics-history';
import { systemEm } from '../../src/db/entity-manager';
import { floorBucket } from '../../src/services/analytics/analytics-range';
import { rebuildBuckets } from '../../src/services/analytics/analytics-refresh.service';
import { deliver, fromCustomer, insertOutboundMessage, message, metaError, pricing, rows, status, statuses, type Payload } from '../helpers/meta-payloads';

const CREATE_CHANNEL = gql`
  mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id phoneNumberId wabaId displayPhoneNumber } } }
`;

const minutesAgo = (minutes: number) => new Date(Math.floor(Date.now() / 60_000 - minutes) * 60_000);

/**
 * The webhook worker applies the statuses of a job's deliveries together (status-batch.service.ts).
 * Whatever the batch holds, the outcome must be the one of applying each status on its own, in
 * order: these tests run the same deliveries both ways and compare.
 */
describe('webhook processing: statuses applied as a batch', () => {
  let app: TestApp;
  let org: TestOrganization;
  let channel: ChannelRef;
  let customers = 0;

  const createChannel = async (owner: TestOrganization) =>
    (await app.client(owner.ownerKey).request<any>(CREATE_CHANNEL, { input: channelInput() })).createChannel.channel;

  async function conversation(on: ChannelRef = channel): Promise<string> {
    customers += 1;
    const hello = message.text(`55319${String(Date.now()).slice(-6)}${customers}`, 'hello', { at: minutesAgo(60) });
    await deliver(app, fromCustomer(on, { waId: hello.from, name: 'Ana Lima' }, hello));
    const [row] = await rows<{ conversation_id: string }>(app, 'select conversation_id from message where wamid = ?', [hello.id]);
    return row!.conversation_id;
  }

  /** Stores the bodies as deliveries (as the webhook does) and returns their ids, in order. */
  async function store(bodies: unknown[]): Promise<string[]> {
    const ids = bodies.map(() => randomUUID());
    for (const [index, body] of bodies.entries()) {
      await rows(app, 'insert into webhook_delivery (id, raw_body, received_at) values (?, ?, now())', [ids[index], JSON.stringify(body)]);
    }
    return ids;
  }

  const batchFailures = () => app.logs.filter((line) => line.includes('status batch failed')).length;

  /**
   * One job for all the bodies. `batch: 'applies'` also checks that the statuses were applied as a
   * batch: the one-by-one fallback gives the same state, so only the log tells them apart.
   */
  async function processAsOneJob(bodies: unknown[], batch: 'applies' | 'falls back' = 'applies'): Promise<string[]> {
    const failuresBefore = batchFailures();
    const [first, ...rest] = await store(bodies);
    await app.queues.add('webhook', 'process-delivery', { deliveryId: first!, batchedWith: rest }, { jobId: first! });
    await waitForQueuesIdle(app.queues);
    expect(batchFailures() - failuresBefore).toBe(batch === 'applies' ? 0 : 1);
    return [first!, ...rest];
  }

  async function processOneByOne(bodies: unknown[]): Promise<string[]> {
    const ids = await store(bodies);
    for (const id of ids) {
      await app.queues.add('webhook', 'process-delivery', { deliveryId: id }, { jobId: id });
      await waitForQueuesIdle(app.queues);
    }
    return ids;
  }

  const messageRow = async (id: string) =>
    (
      await rows(
        app,
        `select wamid, status, sent_at, delivered_at, read_at, played_at, failed_at, error_code, error_title, error_details,
           pricing_category, pricing_model, send_state from message where id = ?`,
        [id],
      )
    )[0];

  const statusEvents = async (messageId: string) =>
    rows<{ reported: string; status: string; error_code: string | null }>(
      app,
      `select data->>'reported' as reported, data->>'status' as status, data->>'errorCode' as error_code from conversation_event
       where type = 'MESSAGE_STATUS_CHANGED' and data->>'messageId' = ? order by id`,
      [messageId],
    );

  const deliveries = async (ids: string[]) =>
    rows<{ id: string; status: string; issues: Payload[] | null }>(app, 'select id, status, issues from webhook_delivery where id in (?)', [ids]);

  beforeAll(async () => {
    app = await startTestApp();
    org = await createOrganization(app);
    channel = await createChannel(org);
  });
  afterAll(() => app?.stop());

  /** The same story for a message: out of order, repeated, a late failure, pricing on two statuses. */
  const story = (id: string, times: Record<'sent' | 'delivered' | 'read' | 'failed', Date>) => [
    statuses(channel, status(id, 'read', { at: times.read })),
    statuses(channel, status(id, 'sent', { at: times.sent, pricing: pricing('utility') }), status(id, 'delivered', { at: times.delivered })),
    statuses(channel, status(id, 'delivered', { at: times.delivered, pricing: pricing('marketing') })),
    statuses(channel, status(id, 'failed', { at: times.failed, errors: [metaError(131026, 'Message undeliverable', 'Receiver incapable')] })),
  ];

  it('ends with the same message and the same log as applying each status on its own', async () => {
    const times = { sent: minutesAgo(20), delivered: minutesAgo(19), read: minutesAgo(18), failed: minutesAgo(17) };
    const batched = await insertOutboundMessage(app, await conversation(), { status: MessageStatus.QUEUED });
    const single = await insertOutboundMessage(app, await conversation(), { status: MessageStatus.QUEUED });

    const batchIds = await processAsOneJob(story(batched.wamid, times));
    const singleIds = await processOneByOne(story(single.wamid, times));

    const { wamid: _a, ...batchedRow } = (await messageRow(batched.id))!;
    const { wamid: _b, ...singleRow } = (await messageRow(single.id))!;
    expect(batchedRow).toEqual(singleRow);
    // The late failure is kept (its time, its event) but does not undo the delivery, so no error shows.
    expect(batchedRow).toMatchObject({ status: 'READ', pricing_category: 'utility', error_code: null });
    expect(await statusEvents(batched.id)).toEqual(await statusEvents(single.id));
    expect((await statusEvents(batched.id)).map((event) => event.reported)).toEqual(['READ', 'SENT', 'DELIVERED', 'FAILED']);
    for (const ids of [batchIds, singleIds]) expect((await deliveries(ids)).map((row) => row.status)).toEqual(ids.map(() => 'PROCESSED'));
  });

  it("keeps Meta's error of a failure before delivery, in a batch with another message's statuses", async () => {
    const failing = await insertOutboundMessage(app, await conversation(), { status: MessageStatus.SENT });
    const fine = await insertOutboundMessage(app, await conversation(), { status: MessageStatus.SENT });
    await processAsOneJob([
      statuses(
        channel,
        status(failing.wamid, 'failed', { errors: [metaError(131047, 'Re-engagement message', 'More than 24 hours have passed')] }),
        status(fine.wamid, 'delivered'),
      ),
      statuses(channel, status(failing.wamid, 'delivered'), status(fine.wamid, 'read')),
    ]);
    expect(await messageRow(failing.id)).toMatchObject({
      status: 'FAILED',
      error_code: '131047',
      error_title: 'Re-engagement message',
      error_details: 'More than 24 hours have passed',
      delivered_at: expect.any(String),
    });
    expect(await messageRow(fine.id)).toMatchObject({ status: 'READ', delivered_at: expect.any(String), read_at: expect.any(String) });
  });

  it('quarantines the one status whose value the database refuses and applies the rest of the batch', async () => {
    const ours = await insertOutboundMessage(app, await conversation(), { status: MessageStatus.QUEUED });
    const other = await insertOutboundMessage(app, await conversation(), { status: MessageStatus.SENT });
    // A wamid holds 255 characters: a longer one is a data error, the item's own fault.
    const tooLong = status(`wamid.${'X'.repeat(300)}`, 'delivered');
    const ids = await processAsOneJob(
      [statuses(channel, status(other.wamid, 'delivered')), statuses(channel, status(ours.wamid, 'sent'), tooLong)],
      'falls back',
    );

    expect(await messageRow(ours.id)).toMatchObject({ status: 'SENT' });
    expect(await messageRow(other.id)).toMatchObject({ status: 'DELIVERED' });
    const stored = new Map((await deliveries(ids)).map((row) => [row.id, row]));
    expect(stored.get(ids[0]!)).toMatchObject({ status: 'PROCESSED', issues: null });
    expect(stored.get(ids[1]!)).toMatchObject({
      status: 'PROCESSED',
      issues: [{ path: 'entry[0].changes[0].value.statuses[1]', kind: 'quarantined', reason: expect.stringContaining('SQLSTATE 22001') }],
    });
  });

  it('gives a message whose send answer never came its wamid from the callback data, once, in its own organization only', async () => {
    const conversationId = await conversation();
    const ours = await insertOutboundMessage(app, conversationId, { status: MessageStatus.QUEUED });
    await rows(app, `update message set wamid = null, send_state = 'UNCERTAIN' where id = ?`, [ours.id]);
    const other = await createOrganization(app, 'Other Co');
    const otherChannel = await createChannel(other);
    const late = wamid();
    const fromOther = wamid();
    await processAsOneJob([
      // Another organization's number naming our message id: never reconciled, never applied.
      statuses(otherChannel, { ...status(fromOther, 'sent'), biz_opaque_callback_data: ours.id }),
      statuses(channel, { ...status(late, 'delivered'), biz_opaque_callback_data: ours.id }, { ...status(late, 'sent'), biz_opaque_callback_data: ours.id }),
    ]);
    expect(await messageRow(ours.id)).toMatchObject({ wamid: late, status: 'DELIVERED', send_state: 'DONE', sent_at: expect.any(String) });
    expect(await rows(app, 'select status, applied_at is not null as applied from message_status_update where wamid = ?', [fromOther])).toEqual([
      { status: 'SENT', applied: false },
    ]);
  });

  it('applies a status repeated across the deliveries of one job once', async () => {
    const ours = await insertOutboundMessage(app, await conversation(), { status: MessageStatus.SENT });
    const read = status(ours.wamid, 'read');
    await processAsOneJob([statuses(channel, read), statuses(channel, read), statuses(channel, read, read)]);
    expect(await statusEvents(ours.id)).toEqual([{ reported: 'READ', status: 'READ', error_code: null }]);
    expect(await rows(app, 'select count(*)::int as n from message_status_update where wamid = ?', [ours.wamid])).toEqual([{ n: 1 }]);
  });

  it("keeps an error code of any length whole, and the analytics refresh still counts it", async () => {
    const ours = await insertOutboundMessage(app, await conversation(), { status: MessageStatus.SENT });
    const code = '9'.repeat(40);
    await processAsOneJob([statuses(channel, { ...status(ours.wamid, 'failed'), errors: [{ code, title: 'Odd' }] })]);
    expect(await messageRow(ours.id)).toMatchObject({ status: 'FAILED', error_code: code });
    await refresh(app);
    // The message's quarter hour is still being written: the refresher rebuilds it once it has
    // ended, as here.
    const [{ created_at: createdAt }] = await rows(app, 'select created_at from message where id = ?', [ours.id]);
    await systemEm(app.orm).transactional((tx) => rebuildBuckets(tx, [{ organizationId: org.id, buckets: [floorBucket(new Date(createdAt))] }]));
    expect(await rows(app, 'select error_code, failed from analytics_delivery_failure where organization_id = ? and error_code = ? and span_minutes = 15', [org.id, code])).toEqual([
      { error_code: code, failed: 1 },
    ]);
  });
});
