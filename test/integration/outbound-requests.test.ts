import type { FakeGraphApi, RecordedRequest } from '../../src/devtools/fake-graph';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import { createOrganization, type TestOrganization } from '../helpers/fixtures';
import {
  SEND_MESSAGE,
  SEND_TEMPLATE,
  acceptedFor,
  createChannel,
  customerWrites,
  isSent,
  newCustomerNumber,
  query,
  seedTemplate,
  waitForMessage,
  type Customer,
  type TestChannel,
} from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';

/**
 * The exact body of every `POST /{phone_number_id}/messages` we make, as the fake Graph API
 * received it over HTTP. Each test writes to a new customer, so Meta's pair limit never paces
 * these sends.
 */
describe('outbound requests: what Meta receives for each kind of message', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let org: TestOrganization;
  let channel: TestChannel;
  const ACCESS_TOKEN = 'EAAG-requests-test-token';

  beforeAll(async () => {
    ({ app, fake, stop } = await startAppWithFakeGraph());
    org = await createOrganization(app);
    channel = await createChannel(app, fake, org.ownerKey, { accessToken: ACCESS_TOKEN });
  });
  afterAll(() => stop?.());

  /** What every send carries: the recipient with a leading +, and our message id for reconciliation. */
  const envelope = (waId: string, messageId: string) => ({
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: `+${waId}`,
    biz_opaque_callback_data: messageId,
  });

  /** The single accepted request for a message, once it has gone out. */
  async function receivedFor(messageId: string): Promise<RecordedRequest> {
    await waitForMessage(app, messageId, isSent, `message ${messageId} sent`);
    const accepted = acceptedFor(fake, messageId);
    expect(accepted).toHaveLength(1);
    return accepted[0]!;
  }

  async function send(customer: Customer, input: Record<string, unknown>) {
    const result = await app.client(org.ownerKey).request<any>(SEND_MESSAGE, { input: { conversationId: customer.conversationId, ...input } });
    return result.sendMessage.message as { id: string; status: string; type: string; text: string | null };
  }

  describe('free-form messages', () => {
    it('text, with a link preview, to the path of the channel with its token', async () => {
      const customer = await customerWrites(app, channel);
      const message = await send(customer, { text: 'Track it at https://shop.example/t/1042', previewUrl: true });
      expect(message).toMatchObject({ status: 'QUEUED', type: 'TEXT', text: 'Track it at https://shop.example/t/1042' });

      const request = await receivedFor(message.id);
      expect(request.method).toBe('POST');
      expect(request.path).toBe(`/v25.0/${channel.phoneNumberId}/messages`);
      expect(request.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
      expect(request.body).toEqual({
        ...envelope(customer.waId, message.id),
        type: 'text',
        text: { body: 'Track it at https://shop.example/t/1042', preview_url: true },
      });
    });

    it('a reply quotes the customer message as context.message_id', async () => {
      const customer = await customerWrites(app, channel);
      const message = await send(customer, { text: 'Yes, it ships today', replyToWamid: customer.inboundWamid });
      expect((await receivedFor(message.id)).body).toEqual({
        ...envelope(customer.waId, message.id),
        context: { message_id: customer.inboundWamid },
        type: 'text',
        text: { body: 'Yes, it ships today' },
      });
      const [row] = await query<{ reply_to_wamid: string }>(app, `select reply_to_wamid from message where id = ?`, [message.id]);
      expect(row!.reply_to_wamid).toBe(customer.inboundWamid);
    });

    it('reply buttons with header and footer', async () => {
      const customer = await customerWrites(app, channel);
      const message = await send(customer, {
        text: 'How was your delivery?',
        header: 'Order A-1042',
        footer: 'Tap one answer',
        buttons: [
          { id: 'good', title: 'Great' },
          { id: 'late', title: 'It was late' },
          { id: 'damaged', title: 'Item damaged' },
        ],
      });
      expect(message.type).toBe('INTERACTIVE');
      expect((await receivedFor(message.id)).body).toEqual({
        ...envelope(customer.waId, message.id),
        type: 'interactive',
        interactive: {
          type: 'button',
          header: { type: 'text', text: 'Order A-1042' },
          body: { text: 'How was your delivery?' },
          footer: { text: 'Tap one answer' },
          action: {
            buttons: [
              { type: 'reply', reply: { id: 'good', title: 'Great' } },
              { type: 'reply', reply: { id: 'late', title: 'It was late' } },
              { type: 'reply', reply: { id: 'damaged', title: 'Item damaged' } },
            ],
          },
        },
      });
    });

    it('a list with sections, rows and descriptions (a row without one has no key)', async () => {
      const customer = await customerWrites(app, channel);
      const message = await send(customer, {
        text: 'Pick a time for your visit',
        header: 'Dr. Lima',
        footer: 'Times are local',
        list: {
          button: 'Choose a slot',
          sections: [
            { title: 'Morning', rows: [{ id: 'm9', title: '09:00', description: 'Room 2, first floor' }, { id: 'm10', title: '10:00' }] },
            { title: 'Afternoon', rows: [{ id: 'a14', title: '14:00', description: 'Room 5' }] },
          ],
        },
      });
      expect((await receivedFor(message.id)).body).toEqual({
        ...envelope(customer.waId, message.id),
        type: 'interactive',
        interactive: {
          type: 'list',
          header: { type: 'text', text: 'Dr. Lima' },
          body: { text: 'Pick a time for your visit' },
          footer: { text: 'Times are local' },
          action: {
            button: 'Choose a slot',
            sections: [
              { title: 'Morning', rows: [{ id: 'm9', title: '09:00', description: 'Room 2, first floor' }, { id: 'm10', title: '10:00' }] },
              { title: 'Afternoon', rows: [{ id: 'a14', title: '14:00', description: 'Room 5' }] },
            ],
          },
        },
      });
    });

    it.each([
      {
        kind: 'image by link, with a caption',
        media: { kind: 'IMAGE', link: 'https://cdn.example/receipt.png', caption: 'Your receipt' },
        type: 'IMAGE',
        expected: { type: 'image', image: { link: 'https://cdn.example/receipt.png', caption: 'Your receipt' } },
      },
      {
        kind: 'document by id, with a filename and caption',
        media: { kind: 'DOCUMENT', id: '1037543291543636', filename: 'invoice-1042.pdf', caption: 'Invoice A-1042' },
        type: 'DOCUMENT',
        expected: { type: 'document', document: { id: '1037543291543636', filename: 'invoice-1042.pdf', caption: 'Invoice A-1042' } },
      },
      {
        kind: 'video by link',
        media: { kind: 'VIDEO', link: 'https://cdn.example/how-to.mp4' },
        type: 'VIDEO',
        expected: { type: 'video', video: { link: 'https://cdn.example/how-to.mp4' } },
      },
      {
        kind: 'audio by link',
        media: { kind: 'AUDIO', link: 'https://cdn.example/greeting.ogg' },
        type: 'AUDIO',
        expected: { type: 'audio', audio: { link: 'https://cdn.example/greeting.ogg' } },
      },
      {
        kind: 'sticker by id',
        media: { kind: 'STICKER', id: '798882015472548' },
        type: 'STICKER',
        expected: { type: 'sticker', sticker: { id: '798882015472548' } },
      },
    ])('media: $kind', async ({ media, type, expected }) => {
      const customer = await customerWrites(app, channel);
      const message = await send(customer, { media });
      expect(message.type).toBe(type);
      expect((await receivedFor(message.id)).body).toEqual({ ...envelope(customer.waId, message.id), ...expected });
    });
  });

  describe('templates', () => {
    async function sendTemplate(templateId: string, to: string, parameters?: Record<string, unknown>) {
      const result = await app.client(org.ownerKey).request<any>(SEND_TEMPLATE, { input: { channelId: channel.id, to, templateId, parameters } });
      return result.sendTemplate.message as { id: string; status: string; type: string; text: string; conversation: { id: string } };
    }

    it('positional header, body and button parameters, in placeholder order', async () => {
      const templateId = await seedTemplate(app, {
        organizationId: org.id,
        wabaId: channel.wabaId,
        name: 'order_update',
        language: 'pt_BR',
        components: [
          { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}' },
          { type: 'BODY', text: 'Hi {{1}}, your order {{2}} ships on {{3}}.' },
          { type: 'FOOTER', text: 'Reply STOP to opt out' },
          {
            type: 'BUTTONS',
            buttons: [
              { type: 'QUICK_REPLY', text: 'Track it' },
              { type: 'URL', text: 'Open order', url: 'https://shop.example/orders/{{1}}' },
              { type: 'PHONE_NUMBER', text: 'Call us', phone_number: '+15550100200' },
            ],
          },
        ],
      });
      const waId = newCustomerNumber();
      // A number as people write it: spaces, a dash, the +. Meta gets the digits with a +.
      const written = `+${waId.slice(0, 2)} ${waId.slice(2, 4)} ${waId.slice(4, 9)}-${waId.slice(9)}`;
      const message = await sendTemplate(templateId, written, {
        header: 'A-1042',
        body: ['Maria', 'A-1042', 'Friday'],
        buttons: ['track:A-1042', 'A-1042'],
      });
      expect(message).toMatchObject({ status: 'QUEUED', type: 'TEMPLATE', text: 'order_update' });

      expect((await receivedFor(message.id)).body).toEqual({
        ...envelope(waId, message.id),
        type: 'template',
        template: {
          name: 'order_update',
          language: { code: 'pt_BR' },
          components: [
            { type: 'header', parameters: [{ type: 'text', text: 'A-1042' }] },
            {
              type: 'body',
              parameters: [
                { type: 'text', text: 'Maria' },
                { type: 'text', text: 'A-1042' },
                { type: 'text', text: 'Friday' },
              ],
            },
            { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'track:A-1042' }] },
            { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'A-1042' }] },
          ],
        },
      });
    });

    it('named body parameters carry parameter_name, in the template order; an image header by link', async () => {
      const templateId = await seedTemplate(app, {
        organizationId: org.id,
        wabaId: channel.wabaId,
        name: 'appointment_reminder',
        components: [
          { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::aW1hZ2UvcG5n:ARb'] } },
          { type: 'BODY', text: 'Hi {{first_name}}, see you on {{day}} at {{time}}.' },
        ],
      });
      const waId = newCustomerNumber();
      const message = await sendTemplate(templateId, `+${waId}`, {
        header: { link: 'https://cdn.example/clinic.png' },
        body: { time: '10:00', first_name: 'Maria', day: 'Monday' },
      });
      expect((await receivedFor(message.id)).body).toEqual({
        ...envelope(waId, message.id),
        type: 'template',
        template: {
          name: 'appointment_reminder',
          language: { code: 'en_US' },
          components: [
            { type: 'header', parameters: [{ type: 'image', image: { link: 'https://cdn.example/clinic.png' } }] },
            {
              type: 'body',
              parameters: [
                { type: 'text', parameter_name: 'first_name', text: 'Maria' },
                { type: 'text', parameter_name: 'day', text: 'Monday' },
                { type: 'text', parameter_name: 'time', text: '10:00' },
              ],
            },
          ],
        },
      });
    });

    it('a document header by media id with a filename', async () => {
      const templateId = await seedTemplate(app, {
        organizationId: org.id,
        wabaId: channel.wabaId,
        name: 'invoice_ready',
        components: [
          { type: 'HEADER', format: 'DOCUMENT' },
          { type: 'BODY', text: 'Your invoice is attached.' },
        ],
      });
      const waId = newCustomerNumber();
      const message = await sendTemplate(templateId, waId, { header: { id: '1037543291543636', filename: 'invoice-1042.pdf' } });
      expect((await receivedFor(message.id)).body).toEqual({
        ...envelope(waId, message.id),
        type: 'template',
        template: {
          name: 'invoice_ready',
          language: { code: 'en_US' },
          components: [{ type: 'header', parameters: [{ type: 'document', document: { id: '1037543291543636', filename: 'invoice-1042.pdf' } }] }],
        },
      });
    });

    it('a template to a number never seen opens a conversation, logged as opened once', async () => {
      const templateId = await seedTemplate(app, {
        organizationId: org.id,
        wabaId: channel.wabaId,
        name: 'welcome_aboard',
        components: [{ type: 'BODY', text: 'Welcome aboard!' }],
      });
      const first = await sendTemplate(templateId, '+5511988887777');
      const again = await sendTemplate(templateId, '+5511988887777');
      expect(again.conversation.id).toBe(first.conversation.id);
      const opened = await query<{ type: string; data: Record<string, unknown> }>(
        app,
        `select type, data from conversation_event where conversation_id = ? and type = 'CONVERSATION_OPENED'`,
        [first.conversation.id],
      );
      expect(opened).toEqual([{ type: 'CONVERSATION_OPENED', data: { channelId: channel.id, contactId: expect.any(String) } }]);
    });

    it('a template without parameters has no components, and goes out when the window is closed', async () => {
      const templateId = await seedTemplate(app, {
        organizationId: org.id,
        wabaId: channel.wabaId,
        name: 'we_miss_you',
        category: 'MARKETING',
        components: [{ type: 'BODY', text: 'It has been a while. Anything we can help with?' }],
      });
      const customer = await customerWrites(app, channel);
      await query(app, `update conversation set last_inbound_at = now() - interval '25 hours' where id = ?`, [customer.conversationId]);
      const window = await app.client(org.ownerKey).request<any>(`query ($id: ID!) { conversation(id: $id) { window { isOpen } } }`, { id: customer.conversationId });
      expect(window.conversation.window.isOpen).toBe(false);

      const message = await sendTemplate(templateId, `+${customer.waId}`);
      expect(message.conversation.id).toBe(customer.conversationId);
      expect((await receivedFor(message.id)).body).toEqual({
        ...envelope(customer.waId, message.id),
        type: 'template',
        template: { name: 'we_miss_you', language: { code: 'en_US' } },
      });
    });
  });
});
