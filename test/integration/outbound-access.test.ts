import { randomUUID } from 'node:crypto';
import { gql } from 'graphql-request';
import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import { createOrganization, errorCodes, firstError, type TestOrganization } from '../helpers/fixtures';
import { addMember, type TestMember } from '../helpers/members';
import {
  SEND_MESSAGE,
  SEND_TEMPLATE,
  createChannel,
  customerWrites,
  isSent,
  newCustomerNumber,
  outboundCount,
  query,
  seedTemplate,
  waitForMessage,
  type Customer,
  type TestChannel,
} from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';

/**
 * Who may send, on what, and with which input. Every refusal happens before anything is stored or
 * queued: no message row, no request at the fake Graph API.
 */

const ASSIGN = gql`mutation ($input: AssignConversationInput!) { assignConversation(input: $input) { conversation { id status } } }`;
const HANDOFF = gql`mutation ($input: ConversationInput!) { handoffToAgent(input: $input) { conversation { id status } } }`;
const RETURN_TO_BOT = gql`mutation ($input: ConversationInput!) { returnToBot(input: $input) { conversation { id status } } }`;
const CLOSE = gql`mutation ($input: ConversationInput!) { closeConversation(input: $input) { conversation { id status } } }`;
const REOPEN = gql`mutation ($input: ConversationInput!) { reopenConversation(input: $input) { conversation { id status } } }`;
const MARK_READ = gql`mutation ($input: MarkReadInput!) { markRead(input: $input) { message { id } } }`;
const TEMPLATES = gql`query { templates(first: 50) { totalCount edges { node { id } } } }`;

const ORDER_UPDATE = [
  { type: 'BODY', text: 'Hi {{1}}, your order {{2}} has shipped.' },
  { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Track it' }] },
];

describe('outbound access: roles, organizations and hostile input', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let orgA: TestOrganization;
  let orgB: TestOrganization;
  let channelA: TestChannel;
  let channelB: TestChannel;
  let customer: Customer;
  let inboundMessageId: string;
  let templateA: string;
  let viewer: TestMember;
  let agent: TestMember;

  beforeAll(async () => {
    ({ app, fake, stop } = await startAppWithFakeGraph());
    [orgA, orgB] = await Promise.all([createOrganization(app, 'Org A'), createOrganization(app, 'Org B')]);
    [channelA, channelB] = await Promise.all([createChannel(app, fake, orgA.ownerKey), createChannel(app, fake, orgB.ownerKey)]);
    customer = await customerWrites(app, channelA);
    const [inbound] = await query<{ id: string }>(app, `select id from message where wamid = ?`, [customer.inboundWamid]);
    inboundMessageId = inbound!.id;
    templateA = await seedTemplate(app, { organizationId: orgA.id, wabaId: channelA.wabaId, name: 'order_update', components: ORDER_UPDATE });
    [viewer, agent] = await Promise.all([addMember(app, orgA.ownerKey, 'VIEWER'), addMember(app, orgA.ownerKey, 'AGENT')]);
  });
  afterAll(() => stop?.());

  /** Runs a refused operation and checks it left no message row, no send job and no request at the fake. */
  async function nothingQueued<T>(operation: () => Promise<T>): Promise<T> {
    const jobs = async () => Object.values(await app.queues.get('outbound').getJobCounts()).reduce((sum, n) => sum + n, 0);
    const sends = () => fake.requests.filter((r) => r.kind === 'send').length;
    const before = { rows: await outboundCount(app), jobs: await jobs(), sends: sends() };
    const result = await operation();
    expect({ rows: await outboundCount(app), jobs: await jobs(), sends: sends() }).toEqual(before);
    return result;
  }

  const templateInput = (overrides: Record<string, unknown> = {}) => ({
    channelId: channelA.id,
    to: `+${newCustomerNumber()}`,
    templateId: templateA,
    parameters: { body: ['Maria', 'A-1042'] },
    ...overrides,
  });

  describe('roles', () => {
    const operations = (member: () => TestMember): [string, string, () => Record<string, unknown>][] => [
      ['sendMessage', SEND_MESSAGE, () => ({ input: { conversationId: customer.conversationId, text: 'Hello from the team' } })],
      ['sendTemplate', SEND_TEMPLATE, () => ({ input: templateInput() })],
      ['assignConversation', ASSIGN, () => ({ input: { conversationId: customer.conversationId, userId: member().id } })],
      ['handoffToAgent', HANDOFF, () => ({ input: { conversationId: customer.conversationId } })],
      ['returnToBot', RETURN_TO_BOT, () => ({ input: { conversationId: customer.conversationId } })],
      ['closeConversation', CLOSE, () => ({ input: { conversationId: customer.conversationId } })],
      ['reopenConversation', REOPEN, () => ({ input: { conversationId: customer.conversationId } })],
      ['markRead', MARK_READ, () => ({ input: { messageId: inboundMessageId } })],
    ];

    it.each(operations(() => viewer))('a VIEWER cannot %s: FORBIDDEN', async (_name, document, variables) => {
      const codes = await nothingQueued(() => errorCodes(app.client(viewer.token).request(document, variables())));
      expect(codes).toEqual(['FORBIDDEN']);
    });

    it.each(operations(() => agent))('an AGENT can %s', async (name, document, variables) => {
      const result = await app.client(agent.token).request<any>(document, variables());
      expect(result[name]).toBeTruthy();
    });

    it("an AGENT's message is authored by them and goes out", async () => {
      const result = await app.client(agent.token).request<any>(SEND_MESSAGE, { input: { conversationId: customer.conversationId, text: 'On it!' } });
      const id = result.sendMessage.message.id;
      await waitForMessage(app, id, isSent, 'the agent reply sent');
      const [row] = await query<{ author_kind: string; author_user_id: string }>(app, `select author_kind, author_user_id from message where id = ?`, [id]);
      expect(row).toEqual({ author_kind: 'AGENT', author_user_id: agent.id });
    });
  });

  describe('organizations', () => {
    it("B cannot send on A's conversation", async () => {
      const error = await nothingQueued(() => firstError(app.client(orgB.ownerKey).request(SEND_MESSAGE, { input: { conversationId: customer.conversationId, text: 'hi' } })));
      expect(error.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'conversationId' });
    });

    it("B cannot send a template on A's channel", async () => {
      const error = await nothingQueued(() => firstError(app.client(orgB.ownerKey).request(SEND_TEMPLATE, { input: templateInput() })));
      expect(error.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'channelId' });
    });

    it("B cannot use A's template on its own channel, nor list it", async () => {
      const error = await nothingQueued(() => firstError(app.client(orgB.ownerKey).request(SEND_TEMPLATE, { input: templateInput({ channelId: channelB.id }) })));
      const unknown = await firstError(app.client(orgB.ownerKey).request(SEND_TEMPLATE, { input: templateInput({ channelId: channelB.id, templateId: randomUUID() }) }));
      expect(error).toEqual(unknown);
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'templateId' });
      const listed = await app.client(orgB.ownerKey).request<any>(TEMPLATES);
      expect(listed.templates.edges.map((edge: any) => edge.node.id)).not.toContain(templateA);
    });

    it.each([
      ['assignConversation', ASSIGN, { userId: null }],
      ['handoffToAgent', HANDOFF, {}],
      ['returnToBot', RETURN_TO_BOT, {}],
      ['closeConversation', CLOSE, {}],
      ['reopenConversation', REOPEN, {}],
    ])("B cannot %s on A's conversation", async (_name, document, extra) => {
      const codes = await errorCodes(app.client(orgB.ownerKey).request(document, { input: { conversationId: customer.conversationId, ...extra } }));
      expect(codes).toEqual(['NOT_FOUND']);
    });

    it("B cannot mark A's message as read", async () => {
      expect(await errorCodes(app.client(orgB.ownerKey).request(MARK_READ, { input: { messageId: inboundMessageId } }))).toEqual(['NOT_FOUND']);
    });
  });

  describe('hostile sendMessage input: BAD_USER_INPUT naming the field, nothing queued', () => {
    const row = (i: number) => ({ id: `row-${i}`, title: `Slot ${i}` });
    it.each([
      ['text over 4,096 characters', { text: 'x'.repeat(4097) }, 'text'],
      ['4 buttons', { text: 'Pick one', buttons: [1, 2, 3, 4].map((i) => ({ id: `b${i}`, title: `Option ${i}` })) }, 'buttons'],
      ['duplicate button titles', { text: 'Pick one', buttons: [{ id: 'a', title: 'Yes' }, { id: 'b', title: 'Yes' }] }, 'buttons[1].title'],
      [
        '11 list rows over two sections',
        { text: 'Pick a slot', list: { button: 'Slots', sections: [{ title: 'Morning', rows: [1, 2, 3, 4, 5, 6].map(row) }, { title: 'Afternoon', rows: [7, 8, 9, 10, 11].map(row) }] } },
        'list.sections',
      ],
      ['media with both link and id', { media: { kind: 'IMAGE', link: 'https://cdn.example/a.png', id: '1037543291543636' } }, 'media.id'],
      ['a plain http media link', { media: { kind: 'IMAGE', link: 'http://cdn.example/a.png' } }, 'media.link'],
      ['a javascript: media link', { media: { kind: 'DOCUMENT', link: 'javascript:alert(1)' } }, 'media.link'],
    ])('%s', async (_case, input, field) => {
      const error = await nothingQueued(() => firstError(app.client(orgA.ownerKey).request(SEND_MESSAGE, { input: { conversationId: customer.conversationId, ...input } })));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    });
  });

  describe('hostile sendTemplate input', () => {
    it.each(['12345', 'not a number', '+0 555 0100 000', '+1234567890123456', '', '+55 11 98888-7777 ext 2'])(
      'a bad phone number %p: BAD_USER_INPUT on to',
      async (to) => {
        const error = await nothingQueued(() => firstError(app.client(orgA.ownerKey).request(SEND_TEMPLATE, { input: templateInput({ to }) })));
        expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
      },
    );

    // An id that is not one of the caller's templates gets the same answer whether it does not
    // exist or belongs to another organization, so ids reveal nothing across tenants.
    it.each([randomUUID(), 'tpl_order_update', '1234567890'])('an unknown template id %p: BAD_USER_INPUT on templateId', async (templateId) => {
      const error = await nothingQueued(() => firstError(app.client(orgA.ownerKey).request(SEND_TEMPLATE, { input: templateInput({ templateId }) })));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'templateId' });
    });

    it.each([
      ['a missing body value', { body: ['Maria'] }, 'parameters.body[1]'],
      ['an extra body value', { body: ['Maria', 'A-1042', 'Friday'] }, 'parameters.body[2]'],
      ['no body at all', {}, 'parameters.body'],
      ['a header the template does not have', { header: 'Hi', body: ['Maria', 'A-1042'] }, 'parameters.header'],
      ['a value for a button beyond the template', { body: ['Maria', 'A-1042'], buttons: [null, 'extra'] }, 'parameters.buttons[1]'],
    ])('%s: BAD_USER_INPUT naming the parameter', async (_case, parameters, field) => {
      const error = await nothingQueued(() => firstError(app.client(orgA.ownerKey).request(SEND_TEMPLATE, { input: templateInput({ parameters }) })));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    });

    it('named parameters: a missing and an unknown name are both reported', async () => {
      const templateId = await seedTemplate(app, {
        organizationId: orgA.id,
        wabaId: channelA.wabaId,
        name: 'named_greeting',
        components: [{ type: 'BODY', text: 'Hi {{first_name}}, your table for {{guests}} is ready.' }],
      });
      const error = await nothingQueued(() =>
        firstError(app.client(orgA.ownerKey).request(SEND_TEMPLATE, { input: templateInput({ templateId, parameters: { body: { first_name: 'Maria', nickname: 'Mari' } } }) })),
      );
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      expect((error.extensions.problems as { field: string }[]).map((p) => p.field).sort()).toEqual(['parameters.body.guests', 'parameters.body.nickname']);
    });

    it.each(['PENDING', 'REJECTED', 'PAUSED', 'DISABLED'])('a %s template: TEMPLATE_NOT_APPROVED', async (status) => {
      const templateId = await seedTemplate(app, { organizationId: orgA.id, wabaId: channelA.wabaId, name: `order_update_${status.toLowerCase()}`, status, components: ORDER_UPDATE });
      const error = await nothingQueued(() => firstError(app.client(orgA.ownerKey).request(SEND_TEMPLATE, { input: templateInput({ templateId }) })));
      expect(error.extensions).toMatchObject({ code: 'TEMPLATE_NOT_APPROVED', field: 'templateId', status });
    });
  });

  describe('account restriction', () => {
    let restricted: TestChannel;
    let restrictedTemplate: string;
    let inWindow: Customer;
    const restrict = (expiration: number) =>
      query(app, `update channel set account_restriction = ?::jsonb where id = ?`, [
        JSON.stringify({ restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration }] }),
        restricted.id,
      ]);
    const nowSeconds = () => Math.floor(Date.now() / 1000);

    beforeAll(async () => {
      restricted = await createChannel(app, fake, orgA.ownerKey);
      restrictedTemplate = await seedTemplate(app, { organizationId: orgA.id, wabaId: restricted.wabaId, name: 'order_update', components: ORDER_UPDATE });
      inWindow = await customerWrites(app, restricted);
    });

    const sendTemplateOnRestricted = () =>
      app.client(orgA.ownerKey).request<any>(SEND_TEMPLATE, { input: templateInput({ channelId: restricted.id, templateId: restrictedTemplate }) });

    it('refuses business-initiated templates with CHANNEL_RESTRICTED while it lasts', async () => {
      await restrict(nowSeconds() + 86_400);
      const error = await nothingQueued(() => firstError(sendTemplateOnRestricted()));
      expect(error.extensions).toMatchObject({ code: 'CHANNEL_RESTRICTED', channelId: restricted.id });
    });

    it('still lets agents answer a customer inside the window', async () => {
      await restrict(nowSeconds() + 86_400);
      const result = await app.client(orgA.ownerKey).request<any>(SEND_MESSAGE, { input: { conversationId: inWindow.conversationId, text: 'We are here' } });
      expect(result.sendMessage.message.status).toBe('QUEUED');
    });

    it('sends templates again once the restriction has expired', async () => {
      await restrict(nowSeconds() - 60);
      const result = await sendTemplateOnRestricted();
      expect(result.sendTemplate.message.status).toBe('QUEUED');
    });
  });

  it('sendTemplate to a new number opens a conversation with a new contact', async () => {
    const waId = newCustomerNumber();
    const result = await app.client(orgA.ownerKey).request<any>(SEND_TEMPLATE, { input: templateInput({ to: `+${waId}` }) });
    const { id, conversation } = result.sendTemplate.message;

    const opened = await app.client(orgA.ownerKey).request<any>(
      gql`query ($id: ID!) { conversation(id: $id) { id status contact { waId } window { isOpen } messages(first: 5) { edges { node { id type direction } } } } }`,
      { id: conversation.id },
    );
    expect(opened.conversation).toMatchObject({
      contact: { waId },
      window: { isOpen: false },
      messages: { edges: [{ node: { id, type: 'TEMPLATE', direction: 'OUT' } }] },
    });
    await waitForMessage(app, id, isSent, 'the template sent');
    expect(fake.sentMessages(channelA.phoneNumberId).find((r) => (r.body as { to: string }).to === `+${waId}`)).toBeDefined();
  });
});
