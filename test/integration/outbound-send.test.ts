import { gql } from 'graphql-request';
import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import { channelInput, createOrganization, firstError, type TestOrganization } from '../helpers/fixtures';
import { postWebhook, textMessage, type ChannelRef } from '../helpers/meta-webhook';
import type { TestApp } from '../helpers/test-app';
import { waitFor, waitForQueuesIdle } from '../helpers/wait';

const CREATE_CHANNEL = gql`
  mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id phoneNumberId wabaId displayPhoneNumber } } }
`;
const SEND = gql`
  mutation ($input: SendMessageInput!) { sendMessage(input: $input) { message { id status direction type text } } }
`;
const MESSAGE = gql`
  query ($id: ID!) { conversation(id: $id) { messages(first: 10) { edges { node { id wamid status direction text errorCode errorTitle } } } } }
`;

describe('outbound: an agent reply goes out through the Graph API', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let org: TestOrganization;
  let channel: ChannelRef & { id: string };
  let conversationId: string;

  beforeAll(async () => {
    ({ app, fake, stop } = await startAppWithFakeGraph({}, { autoStatuses: { delivered: true, read: false } }));
    org = await createOrganization(app);
    channel = (await app.client(org.ownerKey).request<any>(CREATE_CHANNEL, { input: channelInput() })).createChannel.channel;
    await postWebhook(app.url, textMessage(channel, '5511988887777', 'Hi, I need help'));
    await waitForQueuesIdle(app.queues);
    const list = await app.client(org.ownerKey).request<any>(gql`{ conversations { edges { node { id } } } }`);
    conversationId = list.conversations.edges[0].node.id;
  });
  afterAll(() => stop?.());

  it('queues, sends the exact request, records the wamid and follows the status webhooks', async () => {
    const result = await app.client(org.ownerKey).request<any>(SEND, { input: { conversationId, text: 'Hello! How can we help?' } });
    expect(result.sendMessage.message).toMatchObject({ status: 'QUEUED', direction: 'OUT', type: 'TEXT', text: 'Hello! How can we help?' });

    const sent = await waitFor(() => fake.sentMessages(channel.phoneNumberId)[0], { what: 'the send at the fake Graph API' });
    expect(sent.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+5511988887777',
      type: 'text',
      text: { body: 'Hello! How can we help?' },
      biz_opaque_callback_data: result.sendMessage.message.id,
    });
    const delivered = await waitFor(
      async () => {
        const page = await app.client(org.ownerKey).request<any>(MESSAGE, { id: conversationId });
        const node = page.conversation.messages.edges.find((edge: any) => edge.node.id === result.sendMessage.message.id)?.node;
        return node?.status === 'DELIVERED' ? node : null;
      },
      { what: 'DELIVERED status' },
    );
    expect(delivered.wamid).toBe(sent.wamid);
  });

  it('fails at once with Meta code and title on a permanent error', async () => {
    fake.failNext(131026, { title: 'Message undeliverable' });
    const result = await app.client(org.ownerKey).request<any>(SEND, { input: { conversationId, text: 'This will fail' } });
    const failed = await waitFor(
      async () => {
        const page = await app.client(org.ownerKey).request<any>(MESSAGE, { id: conversationId });
        const node = page.conversation.messages.edges.find((edge: any) => edge.node.id === result.sendMessage.message.id)?.node;
        return node?.status === 'FAILED' ? node : null;
      },
      { what: 'FAILED status' },
    );
    expect(failed).toMatchObject({ errorCode: '131026', errorTitle: 'Message undeliverable' });
  });

  it('refuses a free-form message outside the window with WINDOW_CLOSED', async () => {
    await app.orm.em.fork().getConnection().execute(`update conversation set last_inbound_at = now() - interval '25 hours'`);
    const error = await firstError(app.client(org.ownerKey).request(SEND, { input: { conversationId, text: 'too late' } }));
    expect(error.extensions).toMatchObject({ code: 'WINDOW_CLOSED', approvedTemplates: [] });
  });
});
