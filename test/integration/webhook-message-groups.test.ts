import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { ChatCustomer, startAppWithBot } from '../helpers/flows';
import { batch, deliver, deliveryOf, message, rows } from '../helpers/meta-payloads';
import { messagesEnvelope, wamid } from '../helpers/meta-webhook';
import type { TestChannel } from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';

/**
 * The group commit of inbound messages (message-committer.ts): messages that wait together share
 * one transaction, a group that fails is stored one message at a time so only the bad message is
 * quarantined, and one customer's messages keep their order while other customers share groups.
 * The tally flow shows a lost update or a reordering in the replies.
 */
describe('inbound messages committed in groups', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let channel: TestChannel;

  beforeAll(async () => {
    ({ app, fake, stop, channel } = await startAppWithBot());
  }, 60_000);
  afterAll(() => stop?.());

  /** Groups (count) and the messages in them (sum) by outcome, from the worker's histogram. */
  async function groupFigures(): Promise<Record<string, { groups: number; messages: number }>> {
    const figures: Record<string, { groups: number; messages: number }> = {};
    for (const { metricName, labels, value } of (await app.metrics.inboundMessageGroups.get()).values) {
      const outcome = String(labels.outcome);
      const figure = (figures[outcome] ??= { groups: 0, messages: 0 });
      if (metricName?.endsWith('_count')) figure.groups += value;
      if (metricName?.endsWith('_sum')) figure.messages += value;
    }
    return figures;
  }

  async function growth(work: () => Promise<void>) {
    const before = await groupFigures();
    await work();
    const after = await groupFigures();
    const delta = (outcome: string) => ({
      groups: (after[outcome]?.groups ?? 0) - (before[outcome]?.groups ?? 0),
      messages: (after[outcome]?.messages ?? 0) - (before[outcome]?.messages ?? 0),
    });
    return { committed: delta('committed'), split: delta('split'), failed: delta('failed') };
  }

  const customers = (n: number) => Array.from({ length: n }, () => new ChatCustomer(app, fake, channel));
  const firstMessages = (list: ChatCustomer[]) => batch(...list.map((customer) => customer.envelope(message.text(customer.waId, 'hi', { id: wamid() }))));

  it('stores a delivery from forty customers in a few shared transactions, and answers each', async () => {
    const forty = customers(40);
    const { committed, split } = await growth(() => deliver(app, firstMessages(forty)));

    expect(committed.messages).toBe(40);
    expect(committed.groups).toBeLessThanOrEqual(4);
    expect(split.groups).toBe(0);
    for (const customer of forty) expect(await customer.replies()).toEqual(['Tally:']);
    // Each conversation was written once, from its own turn: its bot session and its latest message, the reply.
    const written = await rows<{ state: string; node: string; latest: string; window_open: boolean }>(
      app,
      `select c.bot_state->>'status' as state, c.bot_state->>'currentNodeId' as node, m.direction as latest,
              c.window_expires_at > now() as window_open
       from conversation c join contact ct on ct.id = c.contact_id left join message m on m.id = c.last_message_id
       where c.channel_id = ? and ct.wa_id in (?)`,
      [channel.id, forty.map((customer) => customer.waId)],
    );
    expect(written).toHaveLength(40);
    expect(written.every((row) => row.state === 'active' && row.node === 'ask' && row.latest === 'OUT' && row.window_open)).toBe(true);
  });

  it('stores a failed group one message at a time: only the bad message is quarantined, and nothing of it is stored', async () => {
    const ten = customers(10);
    const intruder = new ChatCustomer(app, fake, channel);
    // Passes every check in code; PostgreSQL refuses it (wamid is 255 characters at most), which fails the group's statement.
    const tooLong = message.text(intruder.waId, 'id longer than any wamid', { id: `wamid.${'A'.repeat(300)}` });
    const delivery = batch(intruder.envelope(tooLong), firstMessages(ten));
    const { committed, split } = await growth(() => deliver(app, delivery));

    // The group failed and its eleven messages were stored one by one (counted once, as the split group).
    expect(split).toEqual({ groups: 1, messages: 11 });
    expect(committed.messages).toBe(0);
    for (const customer of ten) expect(await customer.replies()).toEqual(['Tally:']);
    const stored = await deliveryOf(app, JSON.stringify(delivery));
    expect(stored.status).toBe('PROCESSED');
    expect(stored.issues).toEqual([
      { path: 'entry[0].changes[0].value.messages[0]', kind: 'quarantined', reason: 'invalid value: value too long for type character varying(255) (SQLSTATE 22001)' },
    ]);
    expect(await rows(app, 'select 1 from contact where wa_id = ?', [intruder.waId])).toHaveLength(0);
  });

  it("keeps each customer's messages in delivery order while the customers share groups", async () => {
    const [ana, ben] = customers(2);
    await deliver(app, firstMessages([ana!, ben!]));
    expect(await ana!.replies()).toEqual(['Tally:']);
    expect(await ben!.replies()).toEqual(['Tally:']);

    const text = (customer: ChatCustomer, body: string) => message.text(customer.waId, body, { id: wamid() });
    const interleaved = messagesEnvelope(channel, {
      contacts: [ana, ben].map((customer) => ({ profile: { name: customer!.name }, wa_id: customer!.waId })),
      messages: [text(ana!, 'a1'), text(ben!, 'b1'), text(ana!, 'a2'), text(ana!, 'a3'), text(ben!, 'b2')],
    });
    const { committed } = await growth(() => deliver(app, interleaved));

    expect(await ana!.replies(3)).toEqual(['Tally: a1', 'Tally: a1 a2', 'Tally: a1 a2 a3']);
    expect(await ben!.replies(2)).toEqual(['Tally: b1', 'Tally: b1 b2']);
    // One message per conversation per group: Ana's three take three groups, Ben's two ride along.
    expect(committed).toEqual({ groups: 3, messages: 5 });
  });

  it('stores a message delivered twice in one delivery once, and answers it once', async () => {
    const [cleo] = customers(1);
    await deliver(app, firstMessages([cleo!]));
    expect(await cleo!.replies()).toEqual(['Tally:']);

    const repeated = message.text(cleo!.waId, 'twice', { id: wamid() });
    const delivery = messagesEnvelope(channel, { contacts: [{ profile: { name: cleo!.name }, wa_id: cleo!.waId }], messages: [repeated, repeated] });
    await deliver(app, delivery);

    expect(await cleo!.replies()).toEqual(['Tally: twice']);
    expect(await rows(app, 'select 1 from message where wamid = ?', [repeated.id])).toHaveLength(1);
    expect((await deliveryOf(app, JSON.stringify(delivery))).status).toBe('PROCESSED');
  });
});
