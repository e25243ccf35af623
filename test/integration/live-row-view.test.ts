import { systemEm } from '../../src/db/entity-manager';
import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { Message } from '../../src/entities/message.entity';
import { rowViewOf } from '../../src/services/live/row-view';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import { createOrganization } from '../helpers/fixtures';
import { fromCustomer, message, replyTo } from '../helpers/meta-payloads';
import { postWebhook } from '../helpers/meta-webhook';
import { SEND_MESSAGE, createChannel, customerWrites, isSent, query, waitForMessage } from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';
import { waitForQueuesIdle } from '../helpers/wait';

jest.setTimeout(60_000);

/** What GraphQL can read off an entity: relations as their id, everything else as it is. */
function readable(entity: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entity)) {
    if (value === undefined) out[key] = null;
    else if (value && typeof value === 'object' && !(value instanceof Date) && 'id' in value && value.constructor !== Object) out[key] = { id: value.id };
    else out[key] = value;
  }
  return out;
}

/** Live events carry their message's row; api processes read it through rowViewOf instead of loading the entity. */
describe('live feeds: the message view built from an event row', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ app, fake, stop } = await startAppWithFakeGraph());
  });
  afterAll(() => stop?.());

  it('reads, for every kind of stored message, exactly what the loaded entity holds', async () => {
    const org = await createOrganization(app, 'View Co');
    const channel = await createChannel(app, fake, org.ownerKey);
    const customer = await customerWrites(app, channel, undefined, 'Olá, 👋 "quoted" \\ text');
    const ana = { waId: customer.waId, name: 'Ana' };
    const kinds = fromCustomer(
      channel,
      ana,
      message.image(ana.waId, 'a photo'),
      message.location(ana.waId, { latitude: -23.55, longitude: -46.63, name: 'Paulista' }),
      message.document(ana.waId, 'invoice.pdf', undefined, { context: replyTo('wamid.earlier') }),
    );
    expect((await postWebhook(app.url, kinds)).status).toBe(200);
    const sent = await app.client(org.ownerKey).request<any>(SEND_MESSAGE, { input: { conversationId: customer.conversationId, text: 'On it' } });
    await waitForMessage(app, sent.sendMessage.message.id, isSent, 'the reply to be sent');
    await waitForQueuesIdle(app.queues, 30_000);

    const rows = await query<{ row: Record<string, unknown> }>(app, 'select to_jsonb(m) as row from message m where m.conversation_id = ?', [customer.conversationId]);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    const view = rowViewOf(app.orm, Message);
    for (const { row } of rows) {
      const entity = await systemEm(app.orm).findOneOrFail(Message, row.id as string);
      // Through JSON, as the row travels in a published event.
      expect(readable(view(JSON.parse(JSON.stringify(row))))).toEqual(readable(entity));
    }
  });
});
