import { gql } from 'graphql-request';
import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import { channelInput, createOrganization, type TestOrganization } from '../helpers/fixtures';
import { postWebhook, textMessage, type ChannelRef } from '../helpers/meta-webhook';
import type { TestApp } from '../helpers/test-app';
import { waitFor } from '../helpers/wait';

const FLOW = {
  start: 'welcome',
  triggers: { keywords: ['menu'] },
  nodes: [
    { id: 'welcome', type: 'message', text: 'Hi {{contact.name}}!', buttons: [{ id: 'email', title: 'Leave email', next: 'ask' }, { id: 'agent', title: 'Agent', next: 'agent' }] },
    { id: 'ask', type: 'question', text: 'Your email?', validate: { kind: 'email' }, saveAs: 'email', retryText: 'Not an email', next: 'bye' },
    { id: 'agent', type: 'handoff', text: 'Connecting you' },
    { id: 'bye', type: 'end', text: 'We will write to {{email}}' },
  ],
};

describe('flows: smoke', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let org: TestOrganization;
  let channel: ChannelRef & { id: string };

  beforeAll(async () => {
    ({ app, fake, stop } = await startAppWithFakeGraph());
    org = await createOrganization(app);
    const client = app.client(org.ownerKey);
    channel = (await client.request<any>(gql`mutation ($i: CreateChannelInput!) { createChannel(input: $i) { channel { id phoneNumberId wabaId displayPhoneNumber } } }`, { i: channelInput() })).createChannel.channel;
    const flow = (await client.request<any>(gql`mutation ($i: CreateFlowInput!) { createFlow(input: $i) { flow { id } } }`, { i: { name: 'Welcome', definition: FLOW } })).createFlow.flow;
    await client.request(gql`mutation ($i: FlowIdInput!) { publishFlow(input: $i) { flow { publishedVersion } } }`, { i: { flowId: flow.id } });
    await client.request(gql`mutation ($i: UpdateChannelInput!) { updateChannel(input: $i) { channel { id } } }`, { i: { id: channel.id, defaultFlowId: flow.id } });
  });
  afterAll(() => stop?.());

  const textsTo = (to: string) => fake.sentMessages(channel.phoneNumberId).filter((r) => (r.body as any).to === `+${to}`).map((r) => {
    const body = r.body as any;
    return body.text?.body ?? body.interactive?.body?.text;
  });

  it('runs a conversation through the default flow to the end', async () => {
    await postWebhook(app.url, textMessage(channel, '5511970000001', 'hello', { name: 'Ana' }));
    await waitFor(() => textsTo('5511970000001').length === 1, { what: 'greeting' });
    expect(textsTo('5511970000001')).toEqual(['Hi Ana!']);
    await postWebhook(app.url, textMessage(channel, '5511970000001', 'leave email'));
    await waitFor(() => textsTo('5511970000001').length === 2, { what: 'question' });
    await postWebhook(app.url, textMessage(channel, '5511970000001', 'nope'));
    await waitFor(() => textsTo('5511970000001').length === 3, { what: 'retry' });
    await postWebhook(app.url, textMessage(channel, '5511970000001', 'Ana@Example.com'));
    await waitFor(() => textsTo('5511970000001').length === 4, { what: 'end' });
    expect(textsTo('5511970000001')).toEqual(['Hi Ana!', 'Your email?', 'Not an email', 'We will write to ana@example.com']);
  });
});
