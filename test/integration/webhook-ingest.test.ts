import { gql } from 'graphql-request';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { channelInput, createOrganization, type TestOrganization } from '../helpers/fixtures';
import { postWebhook, textMessage, wamid, type ChannelRef } from '../helpers/meta-webhook';
import { waitForQueuesIdle } from '../helpers/wait';

const CREATE_CHANNEL = gql`
  mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id phoneNumberId wabaId displayPhoneNumber } } }
`;

const CONVERSATIONS = gql`
  query {
    conversations(first: 10) {
      totalCount
      edges { node { id status contact { waId name } window { isOpen expiresAt } lastMessage { wamid text type direction status } } }
    }
  }
`;

describe('webhook ingest: a text message end to end', () => {
  let app: TestApp;
  let org: TestOrganization;
  let channel: ChannelRef;

  beforeAll(async () => {
    app = await startTestApp();
    org = await createOrganization(app);
    const result = await app.client(org.ownerKey).request<any>(CREATE_CHANNEL, { input: channelInput() });
    channel = result.createChannel.channel;
  });
  afterAll(() => app?.stop());

  it('stores the message, opens the conversation and the 24-hour window', async () => {
    const id = wamid();
    const sentAt = new Date(Date.now() - 60_000);
    const response = await postWebhook(app.url, textMessage(channel, '5511999990001', 'Olá 👋 {{email}} </script>', { id, at: sentAt }));
    expect(response.status).toBe(200);
    await waitForQueuesIdle(app.queues);

    const result = await app.client(org.ownerKey).request<any>(CONVERSATIONS);
    expect(result.conversations.totalCount).toBe(1);
    const node = result.conversations.edges[0].node;
    expect(node.contact).toEqual({ waId: '5511999990001', name: 'Maria Souza' });
    expect(node.lastMessage).toEqual({ wamid: id, text: 'Olá 👋 {{email}} </script>', type: 'TEXT', direction: 'IN', status: 'RECEIVED' });
    expect(node.window.isOpen).toBe(true);
    expect(new Date(node.window.expiresAt).getTime()).toBe(Math.floor(sentAt.getTime() / 1000) * 1000 + 24 * 3600 * 1000);
  });

  it('stores a message delivered twice only once', async () => {
    const id = wamid();
    const body = textMessage(channel, '5511999990002', 'twice', { id });
    const [first, second] = await Promise.all([postWebhook(app.url, body), postWebhook(app.url, body)]);
    expect([first.status, second.status]).toEqual([200, 200]);
    await waitForQueuesIdle(app.queues);
    const result = await app.client(org.ownerKey).request<any>(gql`query ($w: String) { messages(filter: { wamid: $w }) { totalCount } }`, { w: id });
    expect(result.messages.totalCount).toBe(1);
  });

  it('refuses a bad signature and stores nothing', async () => {
    const before = await app.orm.em.fork().getConnection().execute('select count(*)::int as n from webhook_delivery');
    const response = await postWebhook(app.url, textMessage(channel, '5511999990003', 'forged'), { signature: 'sha256=' + '0'.repeat(64) });
    expect(response.status).toBe(401);
    const after = await app.orm.em.fork().getConnection().execute('select count(*)::int as n from webhook_delivery');
    expect(after[0].n).toBe(before[0].n);
  });
});
