import { createHash } from 'node:crypto';
import type { GraphQLClient } from 'graphql-request';
import type { FakeGraphApi } from '../../src/devtools/fake-graph';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import { createOrganization, errorCodes, firstError, type TestOrganization } from '../helpers/fixtures';
import {
  ARCHIVE_FLOW,
  CREATE_FLOW,
  ChatCustomer,
  DUPLICATE_FLOW,
  EXPORT_FLOW,
  FLOW,
  FLOWS,
  IMPORT_FLOW,
  PUBLISH_FLOW,
  SET_DEFAULT_FLOW,
  UPDATE_FLOW_DRAFT,
  VALIDATE_FLOW,
  createFlow,
  publishFlow,
  publishedFlow,
  setDefaultFlow,
} from '../helpers/flows';
import { createApiKey } from '../helpers/members';
import { createChannel, type TestChannel } from '../helpers/outbound';
import type { TestApp } from '../helpers/test-app';

/** The example of DESIGN.md section 11, verbatim: the public format that export and import must keep. */
const SECTION_11 = {
  start: 'welcome',
  sessionTtlMinutes: 1440,
  nodes: [
    {
      id: 'welcome', type: 'message', text: 'Hi {{contact.name}}! How can we help?',
      buttons: [
        { id: 'sales', title: 'Sales', next: 'ask_email' },
        { id: 'support', title: 'Support', next: 'agent' },
      ],
      retryText: 'Please tap one of the buttons', maxAttempts: 3, onInvalid: 'agent',
    },
    {
      id: 'ask_email', type: 'question', text: 'What is your email?',
      validate: { kind: 'email' }, saveAs: 'email',
      retryText: 'That does not look like an email, try again', maxAttempts: 3,
      next: 'route', onInvalid: 'agent',
    },
    {
      id: 'route', type: 'condition',
      branches: [{ when: { all: [{ var: 'email', op: 'contains', value: '@bigco.com' }] }, next: 'vip' }],
      else: 'thanks',
    },
    { id: 'vip', type: 'set', var: 'tier', value: 'vip', next: 'agent' },
    { id: 'agent', type: 'handoff', text: 'Connecting you to a person...' },
    { id: 'thanks', type: 'end', text: 'Thanks, we will write to {{email}} soon.' },
  ],
};

const emailFlow = (keywords: string[] = [], goodbye = 'Thanks {{email}}') => ({
  start: 'ask',
  ...(keywords.length ? { triggers: { keywords } } : {}),
  nodes: [
    { id: 'ask', type: 'question', text: 'Your email?', validate: { kind: 'email' }, saveAs: 'email', next: 'bye' },
    { id: 'bye', type: 'end', text: goodbye },
  ],
});

interface Problem {
  nodeId: string | null;
  field: string;
  message: string;
}

describe('flow lifecycle in GraphQL', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let org: TestOrganization;
  let owner: GraphQLClient;

  beforeAll(async () => {
    ({ app, fake, stop } = await startAppWithFakeGraph());
    org = await createOrganization(app, 'Flows A');
    owner = app.client(org.ownerKey);
  });
  afterAll(() => stop?.());

  const flowById = async (id: string, client = owner) => (await client.request<any>(FLOW, { id })).flow;
  const flowIds = async (filter: Record<string, unknown> = {}, client = owner): Promise<string[]> =>
    (await client.request<any>(FLOWS, { filter, first: 100 })).flows.edges.map((edge: any) => edge.node.id);
  const exported = async (flowId: string, version?: number) => (await owner.request<any>(EXPORT_FLOW, { input: { flowId, version } })).exportFlow;

  /** The FLOW_INVALID problems a createFlow with this definition is refused with. */
  async function problemsOf(definition: unknown): Promise<Problem[]> {
    const error = await firstError(owner.request(CREATE_FLOW, { input: { name: 'Bad', definition } }));
    expect(error.extensions.code).toBe('FLOW_INVALID');
    return error.extensions.problems as Problem[];
  }

  describe('versions', () => {
    it('creates a flow as a draft with no published version', async () => {
      const id = await createFlow(owner, SECTION_11, 'Welcome');
      const flow = await flowById(id);
      expect(flow).toMatchObject({ name: 'Welcome', publishedVersion: null, archivedAt: null, versions: [] });
      expect(flow.draft).toEqual(SECTION_11);
    });

    it('publishes immutable numbered versions, and an unchanged draft creates none', async () => {
      const id = await createFlow(owner, emailFlow(), 'Versions');
      expect(await publishFlow(owner, id)).toBe(1);
      expect(await publishFlow(owner, id)).toBe(1);

      // The same definition with its keys in another order is the same flow (canonical checksum).
      const reordered = { nodes: emailFlow().nodes.map((node) => Object.fromEntries(Object.entries(node).reverse())), start: 'ask' };
      await owner.request(UPDATE_FLOW_DRAFT, { input: { flowId: id, definition: reordered } });
      expect(await publishFlow(owner, id)).toBe(1);

      const edited = emailFlow([], 'We will write to {{email}}');
      const draft = (await owner.request<any>(UPDATE_FLOW_DRAFT, { input: { flowId: id, definition: edited } })).updateFlowDraft.flow;
      expect(draft.publishedVersion).toBe(1);
      expect(await publishFlow(owner, id)).toBe(2);

      const flow = await flowById(id);
      expect(flow.versions.map((v: any) => v.version)).toEqual([2, 1]);
      const [v2, v1] = flow.versions;
      expect(v1.definition).toEqual(emailFlow());
      expect(v2.definition).toEqual(edited);
      expect(v1.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(v2.checksum).not.toBe(v1.checksum);
      expect(flow.draft).toEqual(edited);
    });

    it('checksums a definition by its content: sha256 of the JSON with sorted keys', async () => {
      const id = await publishedFlow(owner, { start: 'bye', nodes: [{ type: 'end', id: 'bye', text: 'Bye' }] });
      const [version] = (await flowById(id)).versions;
      const canonical = '{"nodes":[{"id":"bye","text":"Bye","type":"end"}],"start":"bye"}';
      expect(version.checksum).toBe(createHash('sha256').update(canonical).digest('hex'));
    });

    it('exports a version and imports it back as the same JSON', async () => {
      const id = await createFlow(owner, SECTION_11, 'Export me');
      expect(await exported(id)).toEqual({ definition: SECTION_11, version: null });
      await publishFlow(owner, id);
      await owner.request(UPDATE_FLOW_DRAFT, { input: { flowId: id, definition: emailFlow() } });
      await publishFlow(owner, id);

      expect(await exported(id)).toEqual({ definition: emailFlow(), version: 2 });
      const first = await exported(id, 1);
      expect(first).toEqual({ definition: SECTION_11, version: 1 });
      expect(await errorCodes(owner.request(EXPORT_FLOW, { input: { flowId: id, version: 3 } }))).toEqual(['NOT_FOUND']);

      const imported = (await owner.request<any>(IMPORT_FLOW, { input: { name: 'Imported', definition: first.definition } })).importFlow.flow;
      expect(imported).toMatchObject({ name: 'Imported', publishedVersion: null });
      expect(imported.draft).toEqual(SECTION_11);
      await publishFlow(owner, imported.id);
      expect((await exported(imported.id)).definition).toEqual(SECTION_11);
    });

    it('duplicates the draft into a new unpublished flow', async () => {
      const id = await publishedFlow(owner, emailFlow(['dup']), 'Original');
      const copy = (await owner.request<any>(DUPLICATE_FLOW, { input: { flowId: id } })).duplicateFlow.flow;
      expect(copy).toMatchObject({ name: 'Original (copy)', publishedVersion: null });
      expect(copy.id).not.toBe(id);
      expect(copy.draft).toEqual(emailFlow(['dup']));
      const named = (await owner.request<any>(DUPLICATE_FLOW, { input: { flowId: id, name: 'Second' } })).duplicateFlow.flow;
      expect(named.name).toBe('Second');
      // The copy shares the keyword, so it can only go live once the original gives it up.
      expect((await firstError(owner.request(PUBLISH_FLOW, { input: { flowId: copy.id } }))).extensions).toMatchObject({ code: 'CONFLICT', field: 'triggers.keywords' });
    });
  });

  describe('keywords and the channel default', () => {
    let channel: TestChannel;
    beforeAll(async () => {
      channel = await createChannel(app, fake, org.ownerKey);
    });

    it('refuses to publish a keyword another published flow uses, naming triggers.keywords', async () => {
      const first = await publishedFlow(owner, emailFlow(['menu', 'prices']), 'First');
      const second = await createFlow(owner, emailFlow(['MENU ']), 'Second');
      const error = await firstError(owner.request(PUBLISH_FLOW, { input: { flowId: second } }));
      expect(error.extensions).toMatchObject({ code: 'CONFLICT', field: 'triggers.keywords' });
      expect(error.message).toContain('First');
      expect((await flowById(second)).publishedVersion).toBeNull();

      // Archiving the first frees its keywords.
      await owner.request(ARCHIVE_FLOW, { input: { flowId: first } });
      expect(await publishFlow(owner, second)).toBe(1);
    });

    it('lets only a published, active flow be a channel default', async () => {
      const draftOnly = await createFlow(owner, emailFlow(), 'Draft only');
      const draftError = await firstError(owner.request(SET_DEFAULT_FLOW, { input: { id: channel.id, defaultFlowId: draftOnly } }));
      expect(draftError.extensions).toMatchObject({ code: 'CONFLICT', field: 'defaultFlowId' });

      const archived = await publishedFlow(owner, emailFlow(), 'Archived');
      await owner.request(ARCHIVE_FLOW, { input: { flowId: archived } });
      expect(await errorCodes(owner.request(SET_DEFAULT_FLOW, { input: { id: channel.id, defaultFlowId: archived } }))).toEqual(['CONFLICT']);

      const live = await publishedFlow(owner, emailFlow(), 'Live');
      const result = await owner.request<any>(SET_DEFAULT_FLOW, { input: { id: channel.id, defaultFlowId: live } });
      expect(result.updateChannel.channel.defaultFlow).toEqual({ id: live });
      await setDefaultFlow(owner, channel.id, null);
      const cleared = await owner.request<any>(SET_DEFAULT_FLOW, { input: { id: channel.id } });
      expect(cleared.updateChannel.channel.defaultFlow).toBeNull();
    });

    it('archiving hides the flow, removes it as a default and stops it starting conversations', async () => {
      const id = await publishedFlow(owner, emailFlow(['archived-kw']), 'To archive');
      await setDefaultFlow(owner, channel.id, id);
      const archived = (await owner.request<any>(ARCHIVE_FLOW, { input: { flowId: id } })).archiveFlow.flow;
      expect(archived.archivedAt).not.toBeNull();

      expect(await flowIds()).not.toContain(id);
      expect(await flowIds({ includeArchived: true })).toContain(id);
      expect((await flowById(id)).archivedAt).not.toBeNull();
      const read = await owner.request<any>(`query ($id: ID!) { channel(id: $id) { defaultFlow { id } } }`, { id: channel.id });
      expect(read.channel.defaultFlow).toBeNull();
      expect(await errorCodes(owner.request(PUBLISH_FLOW, { input: { flowId: id } }))).toEqual(['CONFLICT']);
      expect(await errorCodes(owner.request(UPDATE_FLOW_DRAFT, { input: { flowId: id, name: 'Renamed' } }))).toEqual(['CONFLICT']);

      // Neither its keyword nor the (cleared) default starts it any more.
      const customer = new ChatCustomer(app, fake, channel);
      await customer.say('archived-kw');
      expect(await customer.conversation()).toMatchObject({ status: 'WAITING_AGENT', botState: null });
      expect(await customer.outboundCount()).toBe(0);
    });
  });

  describe('who may change flows', () => {
    let flowId: string;
    beforeAll(async () => {
      flowId = await publishedFlow(owner, emailFlow(), 'Guarded');
    });

    it.each(['AGENT', 'VIEWER'] as const)('refuses every change to the %s role, which may still read and validate', async (role) => {
      const key = await createApiKey(app, org.ownerKey, role);
      const client = app.client(key.secret);
      const changes = [
        client.request(CREATE_FLOW, { input: { name: 'x', definition: emailFlow() } }),
        client.request(IMPORT_FLOW, { input: { name: 'x', definition: emailFlow() } }),
        client.request(UPDATE_FLOW_DRAFT, { input: { flowId, name: 'x' } }),
        client.request(PUBLISH_FLOW, { input: { flowId } }),
        client.request(ARCHIVE_FLOW, { input: { flowId } }),
        client.request(DUPLICATE_FLOW, { input: { flowId } }),
      ];
      for (const change of changes) expect(await errorCodes(change)).toEqual(['FORBIDDEN']);

      expect((await flowById(flowId, client)).publishedVersion).toBe(1);
      expect(await flowIds({}, client)).toContain(flowId);
      expect((await client.request<any>(VALIDATE_FLOW, { input: { definition: emailFlow() } })).validateFlow).toEqual({ valid: true, problems: [] });
      expect((await flowById(flowId)).archivedAt).toBeNull();
    });

    it("hides one organization's flows from another: NOT_FOUND for every operation", async () => {
      const other = await createOrganization(app, 'Flows B');
      const b = app.client(other.ownerKey);
      const bChannel = await createChannel(app, fake, other.ownerKey);

      expect(await errorCodes(b.request(FLOW, { id: flowId }))).toEqual(['NOT_FOUND']);
      expect(await errorCodes(b.request(PUBLISH_FLOW, { input: { flowId } }))).toEqual(['NOT_FOUND']);
      expect(await errorCodes(b.request(UPDATE_FLOW_DRAFT, { input: { flowId, name: 'Mine now' } }))).toEqual(['NOT_FOUND']);
      expect(await errorCodes(b.request(ARCHIVE_FLOW, { input: { flowId } }))).toEqual(['NOT_FOUND']);
      expect(await errorCodes(b.request(DUPLICATE_FLOW, { input: { flowId } }))).toEqual(['NOT_FOUND']);
      expect(await errorCodes(b.request(EXPORT_FLOW, { input: { flowId } }))).toEqual(['NOT_FOUND']);
      expect(await errorCodes(b.request(SET_DEFAULT_FLOW, { input: { id: bChannel.id, defaultFlowId: flowId } }))).toEqual(['NOT_FOUND']);
      expect(await flowIds({ includeArchived: true }, b)).toEqual([]);

      // Keywords are per organization: B may publish a keyword A uses.
      await publishedFlow(owner, emailFlow(['shared']), 'A shared');
      await expect(publishedFlow(b, emailFlow(['shared']), 'B shared')).resolves.toEqual(expect.any(String));
      expect((await flowById(flowId)).archivedAt).toBeNull();
    });
  });

  describe('hostile definitions', () => {
    it.each([
      ['not an object', 42, [{ nodeId: null, field: 'definition' }]],
      ['a string', 'start: welcome', [{ nodeId: null, field: 'definition' }]],
      ['a list', [], [{ nodeId: null, field: 'definition' }]],
      ['nodes that are not a list', { start: 'a', nodes: { a: { type: 'end' } } }, [{ nodeId: null, field: 'nodes' }, { nodeId: null, field: 'start' }]],
      ['a node that is not an object', { start: 'a', nodes: [{ id: 'a', type: 'end' }, 'b'] }, [{ nodeId: null, field: 'nodes[1]' }]],
      ['an unknown node type', { start: 'a', nodes: [{ id: 'a', type: 'teleport' }] }, [{ nodeId: 'a', field: 'type' }]],
      ['unknown fields', { start: 'a', colour: 'red', nodes: [{ id: 'a', type: 'end', onClick: 'alert(1)' }] }, [{ nodeId: null, field: 'colour' }, { nodeId: 'a', field: 'onClick' }]],
      ['a dangling next', { start: 'a', nodes: [{ id: 'a', type: 'message', text: 'Hi', next: 'nowhere' }] }, [{ nodeId: 'a', field: 'next' }]],
      ['a missing start', { start: 'ghost', nodes: [{ id: 'a', type: 'end' }] }, [{ nodeId: null, field: 'start' }]],
    ])('refuses %s with FLOW_INVALID naming the node and field', async (_label, definition, expected) => {
      const before = await flowIds({ includeArchived: true });
      const problems = await problemsOf(definition);
      expect(problems.map(({ nodeId, field }) => ({ nodeId, field }))).toEqual(expect.arrayContaining(expected));
      expect(problems.every((p) => typeof p.message === 'string' && p.message.length > 0)).toBe(true);
      expect(await flowIds({ includeArchived: true })).toEqual(before);
    });

    it('lists every problem of a definition at once, in create, update and validate', async () => {
      const broken = {
        start: 'welcome',
        sessionTtlMinutes: 0,
        nodes: [
          { id: 'welcome', type: 'message', text: 'Pick', buttons: [{ id: 'a', title: 'A title that is far longer than twenty', next: 'ask' }] },
          { id: 'ask', type: 'question', text: 'Email?', validate: { kind: 'email' }, saveAs: 'email', next: 'missing' },
          { id: 'ask', type: 'end' },
          { id: 'island', type: 'end', text: 'Nobody gets here' },
          { id: 'loose', type: 'set', var: 'x', value: 1 },
        ],
      };
      const expected = [
        { nodeId: null, field: 'sessionTtlMinutes' },
        { nodeId: 'welcome', field: 'buttons[0].title' },
        { nodeId: 'ask', field: 'next' },
        { nodeId: 'ask', field: 'id' },
        { nodeId: 'island', field: 'id' },
        { nodeId: 'loose', field: 'next' },
      ];
      const shape = (problems: Problem[]) => problems.map(({ nodeId, field }) => ({ nodeId, field }));
      const created = await problemsOf(broken);
      expect(shape(created)).toEqual(expect.arrayContaining(expected));

      const validated = (await owner.request<any>(VALIDATE_FLOW, { input: { definition: broken } })).validateFlow;
      expect(validated.valid).toBe(false);
      expect(validated.problems).toEqual(created);

      const id = await createFlow(owner, emailFlow(), 'Edited badly');
      const updateError = await firstError(owner.request(UPDATE_FLOW_DRAFT, { input: { flowId: id, definition: broken } }));
      expect(updateError.extensions.code).toBe('FLOW_INVALID');
      expect(updateError.extensions.problems).toEqual(created);
      expect((await flowById(id)).draft).toEqual(emailFlow());
    });

    it('refuses a 10,000-node flow with FLOW_INVALID, not a server error', async () => {
      const nodes = Array.from({ length: 10_000 }, (_, i) => ({ id: `n${i}`, type: 'message', text: `Step ${i}`, next: `n${i + 1}` }));
      const response = await app.post(
        { query: CREATE_FLOW, variables: { input: { name: 'Huge', definition: { start: 'n0', nodes } } } },
        { authorization: `Bearer ${org.ownerKey}` },
      );
      expect(response.status).toBeLessThan(500);
      const [error] = response.body.errors;
      expect(error.extensions.code).toBe('FLOW_INVALID');
      expect(error.extensions.problems).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ nodeId: null, field: 'nodes' }),
          expect.objectContaining({ nodeId: 'n9999', field: 'next' }),
        ]),
      );
      // The app still answers normally afterwards.
      expect(await flowIds()).toEqual(expect.any(Array));
    });

    it('allows a cycle that waits for the customer, and reports the problems of one that is broken', async () => {
      const loop = {
        start: 'ask',
        nodes: [
          { id: 'ask', type: 'question', text: 'A number?', validate: { kind: 'number' }, saveAs: 'n', next: 'check' },
          { id: 'check', type: 'condition', branches: [{ when: { var: 'n', op: '>', value: 10 }, next: 'done' }], else: 'again' },
          { id: 'again', type: 'jump', to: 'ask' },
          { id: 'done', type: 'end', text: 'Got {{n}}' },
        ],
      };
      expect(await publishFlow(owner, await createFlow(owner, loop, 'Loop'))).toBe(1);

      const broken = { ...loop, nodes: [...loop.nodes.slice(0, 2), { id: 'again', type: 'jump', to: 'ask2' }, loop.nodes[3]] };
      expect(await problemsOf(broken)).toEqual([expect.objectContaining({ nodeId: 'again', field: 'to' })]);
    });
  });
});
