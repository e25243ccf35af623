import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { QUEUE_DEFAULTS } from '../../src/jobs/queues';
import type { TestOrganization } from '../helpers/fixtures';
import { ChatCustomer, publishedFlow, setDefaultFlow, startAppWithBot } from '../helpers/flows';
import { acceptedFor, createChannel, query, requestsFor, waitForMessage, type TestChannel } from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';

/**
 * A worker sends its bot replies itself, right after their commit (inline-sender.ts), with the
 * send job's rules; only what does not leave at once goes to the send queue.
 */
describe('bot replies sent by the worker that queued them', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let org: TestOrganization;
  let channel: TestChannel;

  beforeAll(async () => {
    ({ app, fake, stop, org, channel } = await startAppWithBot());
  }, 60_000);
  afterAll(() => stop?.());

  const replyOf = async (customer: ChatCustomer) => {
    const [reply] = await query<{ id: string }>(
      app,
      `select m.id from message m join conversation c on c.id = m.conversation_id join contact ct on ct.id = c.contact_id
       where ct.wa_id = ? and m.direction = 'OUT' order by m.seq desc limit 1`,
      [customer.waId],
    );
    return reply!.id;
  };

  it('sends a reply without a send job', async () => {
    const customer = new ChatCustomer(app, fake, channel);
    await customer.say('hi');
    expect(await customer.replies()).toEqual(['Tally:']);

    const replyId = await replyOf(customer);
    const sent = await waitForMessage(app, replyId, (m) => m.status === 'SENT' || m.status === 'DELIVERED' || m.status === 'READ', 'the reply sent');
    expect(sent).toMatchObject({ sendAttempts: 1, sendState: 'DONE', wamid: acceptedFor(fake, replyId)[0]!.wamid });
    expect(await app.queues.get('outbound').getJob(`send-${replyId}`)).toBeUndefined();
  });

  it('hands a reply Meta refused for now to the send queue, which sends it after the wait with the attempt counted', async () => {
    const customer = new ChatCustomer(app, fake, channel);
    // Code 2: Meta's service temporarily unavailable, retried after at least 2 s.
    fake.failNext(2, { to: customer.waId });
    await customer.say('hi');

    const replyId = await replyOf(customer);
    const sent = await waitForMessage(app, replyId, (m) => m.sendState === 'DONE' && m.wamid !== null, 'the reply sent by its job');
    expect(sent.sendAttempts).toBe(2);
    expect(requestsFor(fake, replyId)).toHaveLength(2);
    expect(acceptedFor(fake, replyId)).toHaveLength(1);
    // The worker's own request was the first attempt: the job has the rest.
    const job = await app.queues.get('outbound').getJob(`send-${replyId}`);
    expect(job?.opts.attempts).toBe(QUEUE_DEFAULTS.outbound.jobOptions.attempts! - 1);
    expect(await customer.replies()).toEqual(['Tally:']);
  });

  it("keeps a turn's later replies behind one handed to the queue", async () => {
    // Two replies in one turn: the first is refused for now, so the second may not overtake it.
    const client = app.client(org.ownerKey);
    const twoReplies = {
      start: 'one',
      nodes: [
        { id: 'one', type: 'message', text: 'first', next: 'two' },
        { id: 'two', type: 'end', text: 'second' },
      ],
    };
    const otherChannel = await createChannel(app, fake, org.ownerKey);
    await setDefaultFlow(client, otherChannel.id, await publishedFlow(client, twoReplies, 'Two replies'));
    const customer = new ChatCustomer(app, fake, otherChannel);
    fake.failNext(2, { to: customer.waId });
    await customer.say('hi');

    expect(await customer.replies(2)).toEqual(['first', 'second']);
  });
});
