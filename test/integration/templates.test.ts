import { gql } from 'graphql-request';
import type { FakeGraphApi, RecordedRequest, TemplateSeed } from '../../src/devtools/fake-graph';
import { startAppWithFakeGraph } from '../helpers/app-with-fake-graph';
import { channelInput, createOrganization, errorCodes, firstError, type TestOrganization } from '../helpers/fixtures';
import { addMember, type TestMember } from '../helpers/members';
import type { TestApp } from '../helpers/test-app';
import { waitFor, waitForQueuesIdle } from '../helpers/wait';

const CREATE_CHANNEL = gql`
  mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id phoneNumberId wabaId } } }
`;
const TEMPLATE_FIELDS = 'id metaTemplateId name language category status rejectionReason components';
const CREATE_TEMPLATE = gql`
  mutation ($input: CreateTemplateInput!) { createTemplate(input: $input) { template { ${TEMPLATE_FIELDS} } } }
`;
const DELETE_TEMPLATE = gql`
  mutation ($input: TemplateIdInput!) { deleteTemplate(input: $input) { template { id status } } }
`;
const SYNC_TEMPLATES = gql`
  mutation ($input: SyncTemplatesInput!) { syncTemplates(input: $input) { queued } }
`;
const TEMPLATES = gql`
  query ($filter: TemplateFilter, $first: Int, $after: String) {
    templates(filter: $filter, first: $first, after: $after) {
      totalCount
      edges { node { ${TEMPLATE_FIELDS} } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

interface Channel {
  id: string;
  phoneNumberId: string;
  wabaId: string;
}

interface TemplateNode {
  id: string;
  metaTemplateId: string | null;
  name: string;
  language: string;
  category: string | null;
  status: string;
  rejectionReason: string | null;
}

/** A valid UTILITY template with two positional placeholders and their examples. */
const orderShipped = (overrides: Record<string, unknown> = {}) => ({
  name: 'order_shipped',
  language: 'en_US',
  category: 'UTILITY',
  components: [
    { type: 'BODY', text: 'Hi {{1}}, your order {{2}} has shipped.', example: { body_text: [['Maria', 'A-1001']] } },
    { type: 'FOOTER', text: 'Reply STOP to opt out' },
  ],
  ...overrides,
});

describe('message templates', () => {
  let app: TestApp;
  let fake: FakeGraphApi;
  let stop: () => Promise<void>;
  let org: TestOrganization;
  let other: TestOrganization;
  let channel: Channel;
  let otherChannel: Channel;
  let admin: TestMember;
  let agent: TestMember;
  let viewer: TestMember;

  const createChannel = async (credential: string, overrides: Record<string, unknown> = {}): Promise<Channel> =>
    (await app.client(credential).request<any>(CREATE_CHANNEL, { input: channelInput(overrides) })).createChannel.channel;

  /** Every template of the caller's organization, all pages. */
  async function allTemplates(credential: string, filter: Record<string, unknown> = {}): Promise<{ totalCount: number; nodes: TemplateNode[] }> {
    const nodes: TemplateNode[] = [];
    let after: string | null = null;
    let totalCount = 0;
    do {
      const page: any = (await app.client(credential).request<any>(TEMPLATES, { filter, first: 100, after })).templates;
      totalCount = page.totalCount;
      nodes.push(...page.edges.map((edge: any) => edge.node));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    return { totalCount, nodes };
  }

  const templateNamed = async (credential: string, name: string, language = 'en_US') =>
    (await allTemplates(credential, { name, language })).nodes[0];

  const waitForStatus = (credential: string, name: string, status: string, language = 'en_US'): Promise<TemplateNode> =>
    waitFor(
      async () => {
        const template = await templateNamed(credential, name, language);
        return template?.status === status ? template : undefined;
      },
      { what: `${name} to become ${status}` },
    ) as Promise<TemplateNode>;

  const templateRequests = (wabaId: string, method?: string): RecordedRequest[] =>
    fake.requests.filter((r) => r.path.endsWith(`/${wabaId}/message_templates`) && (method === undefined || r.method === method));

  beforeAll(async () => {
    ({ app, fake, stop } = await startAppWithFakeGraph());
    org = await createOrganization(app, 'Acme');
    other = await createOrganization(app, 'Other Co');
    channel = await createChannel(org.ownerKey);
    otherChannel = await createChannel(other.ownerKey);
    admin = await addMember(app, org.ownerKey, 'ADMIN');
    agent = await addMember(app, org.ownerKey, 'AGENT');
    viewer = await addMember(app, org.ownerKey, 'VIEWER');
  });
  afterAll(() => stop?.());

  describe('createTemplate', () => {
    it.each([
      ['a name with capitals and spaces', { name: 'Order Shipped' }, 'name'],
      ['an unknown category', { category: 'PROMOTIONS' }, 'category'],
      [
        'placeholders with a gap',
        { components: [{ type: 'BODY', text: 'Hi {{1}}, see {{3}}', example: { body_text: [['a', 'b', 'c']] } }] },
        'components[0].text',
      ],
      ['placeholders without examples', { components: [{ type: 'BODY', text: 'Hi {{1}}, your order {{2}} has shipped.' }] }, 'components[0].example'],
    ])('refuses %s with BAD_USER_INPUT naming the field, storing and submitting nothing', async (_case, overrides, field) => {
      const error = await firstError(app.client(admin.token).request(CREATE_TEMPLATE, { input: { channelId: channel.id, ...orderShipped(overrides) } }));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      await waitForQueuesIdle(app.queues);
      expect((await allTemplates(org.ownerKey)).totalCount).toBe(0);
      expect(templateRequests(channel.wabaId)).toHaveLength(0);
    });

    it('stores the template as SUBMITTING, then the job submits the exact body and records Meta id and PENDING', async () => {
      const input = { channelId: channel.id, ...orderShipped() };
      const created = (await app.client(admin.token).request<any>(CREATE_TEMPLATE, { input })).createTemplate.template;
      expect(created).toMatchObject({ name: 'order_shipped', language: 'en_US', category: 'UTILITY', status: 'SUBMITTING', metaTemplateId: null });

      const submitted = await waitFor(() => templateRequests(channel.wabaId, 'POST')[0], { what: 'the submission at the fake Graph API' });
      expect(submitted.body).toEqual({
        name: 'order_shipped',
        language: 'en_US',
        category: 'UTILITY',
        parameter_format: 'positional',
        components: input.components,
      });
      const atMeta = fake.templates(channel.wabaId).find((t) => t.name === 'order_shipped')!;
      const pending = await waitForStatus(org.ownerKey, 'order_shipped', 'PENDING');
      expect(pending).toMatchObject({ id: created.id, metaTemplateId: atMeta.id });
    });

    it('refuses a second template with the same name and language with CONFLICT', async () => {
      const error = await firstError(app.client(admin.token).request(CREATE_TEMPLATE, { input: { channelId: channel.id, ...orderShipped() } }));
      expect(error.extensions).toMatchObject({ code: 'CONFLICT', field: 'name' });
      expect((await allTemplates(org.ownerKey, { name: 'order_shipped' })).totalCount).toBe(1);
    });

    it('marks SUBMISSION_FAILED with Meta reason when Meta refuses the submission', async () => {
      // Meta refuses a name and language it already has (here: made outside this product).
      fake.addTemplate(channel.wabaId, { name: 'welcome_back', language: 'en_US', category: 'MARKETING', components: [{ type: 'BODY', text: 'Welcome back!' }] });
      const input = { channelId: channel.id, ...orderShipped({ name: 'welcome_back', components: [{ type: 'BODY', text: 'Welcome back, friend!' }] }) };
      await app.client(admin.token).request(CREATE_TEMPLATE, { input });

      const failed = await waitForStatus(org.ownerKey, 'welcome_back', 'SUBMISSION_FAILED');
      expect(failed.metaTemplateId).toBeNull();
      expect(failed.rejectionReason).toBe('Invalid parameter: There is already en_US content for this template. You can create a new template and try again.');
    });

    it('becomes APPROVED through the status webhook Meta sends', async () => {
      const pending = await templateNamed(org.ownerKey, 'order_shipped');
      expect(await fake.emitTemplateStatus(channel.wabaId, pending.metaTemplateId!, 'APPROVED')).toBe(200);
      const approved = await waitForStatus(org.ownerKey, 'order_shipped', 'APPROVED');
      expect(approved.id).toBe(pending.id);
    });
  });

  describe('deleteTemplate', () => {
    it('deletes this language at Meta by name and hsm_id, then marks it DELETED', async () => {
      const approved = await templateNamed(org.ownerKey, 'order_shipped');
      const result = await app.client(admin.token).request<any>(DELETE_TEMPLATE, { input: { templateId: approved.id } });
      expect(result.deleteTemplate.template).toEqual({ id: approved.id, status: 'DELETING' });

      const request = await waitFor(() => templateRequests(channel.wabaId, 'DELETE')[0], { what: 'the DELETE at the fake Graph API' });
      expect(request.query).toEqual({ name: 'order_shipped', hsm_id: approved.metaTemplateId });
      await waitForStatus(org.ownerKey, 'order_shipped', 'DELETED');
      expect(fake.templates(channel.wabaId).map((t) => t.name)).not.toContain('order_shipped');
    });

    it('refuses to delete a DISABLED template with CONFLICT and leaves it at Meta', async () => {
      const input = { channelId: channel.id, ...orderShipped({ name: 'account_alert' }) };
      await app.client(admin.token).request(CREATE_TEMPLATE, { input });
      const pending = await waitForStatus(org.ownerKey, 'account_alert', 'PENDING');
      await fake.emitTemplateStatus(channel.wabaId, pending.metaTemplateId!, 'DISABLED');
      await waitForStatus(org.ownerKey, 'account_alert', 'DISABLED');

      const deletesBefore = templateRequests(channel.wabaId, 'DELETE').length;
      const error = await firstError(app.client(admin.token).request(DELETE_TEMPLATE, { input: { templateId: pending.id } }));
      expect(error.extensions).toMatchObject({ code: 'CONFLICT' });
      await waitForQueuesIdle(app.queues);
      expect((await templateNamed(org.ownerKey, 'account_alert')).status).toBe('DISABLED');
      expect(templateRequests(channel.wabaId, 'DELETE')).toHaveLength(deletesBefore);
    });
  });

  describe('syncTemplates', () => {
    let syncOrg: TestOrganization;
    let syncChannel: Channel;
    /** What Meta has for the WABA; mirrored here so filters can be checked against it. */
    let seeds: (TemplateSeed & { id: string; status: string })[];

    const SEEDED = 230; // the client asks for 100 a page: 3 pages

    const lastSyncResult = async (channelId: string) => {
      const jobs = await app.queues.get('outbound').getJobs(['completed']);
      const syncs = jobs.filter((job) => job.name === 'sync-templates' && job.data.channelId === channelId);
      return syncs.sort((a, b) => (b.finishedOn ?? 0) - (a.finishedOn ?? 0))[0]?.returnvalue;
    };

    const sync = async (credential: string, channelId: string) => {
      expect((await app.client(credential).request<any>(SYNC_TEMPLATES, { input: { channelId } })).syncTemplates.queued).toBe(true);
      await waitForQueuesIdle(app.queues);
      return lastSyncResult(channelId);
    };

    beforeAll(async () => {
      syncOrg = await createOrganization(app, 'Sync Co');
      syncChannel = await createChannel(syncOrg.ownerKey);
      seeds = Array.from({ length: SEEDED }, (_, i) => {
        const seed = {
          name: `seeded_${String(i).padStart(3, '0')}`,
          language: i % 2 ? 'pt_BR' : 'en_US',
          category: i % 3 ? 'UTILITY' : 'MARKETING',
          status: i % 5 ? 'APPROVED' : 'REJECTED',
          components: [{ type: 'BODY', text: `Seeded template ${i}` }],
          ...(i % 5 ? {} : { rejected_reason: 'TAG_CONTENT_MISMATCH' }),
        };
        return { ...seed, id: fake.addTemplate(syncChannel.wabaId, seed).id };
      });
    });

    it('pulls every page from Meta and adds each template', async () => {
      expect(await sync(syncOrg.ownerKey, syncChannel.id)).toEqual({ added: SEEDED, updated: 0, deleted: 0 });
      const pages = templateRequests(syncChannel.wabaId, 'GET');
      expect(pages).toHaveLength(3);
      expect(pages.map((page) => page.query.after === undefined)).toEqual([true, false, false]);

      const { totalCount, nodes } = await allTemplates(syncOrg.ownerKey);
      expect(totalCount).toBe(SEEDED);
      const byMetaId = new Map(nodes.map((node) => [node.metaTemplateId, node]));
      for (const seed of seeds) {
        expect(byMetaId.get(seed.id)).toMatchObject({
          name: seed.name,
          language: seed.language,
          category: seed.category,
          status: seed.status,
          // Meta's NONE is no reason: only rejected templates carry one.
          rejectionReason: seed.status === 'REJECTED' ? 'TAG_CONTENT_MISMATCH' : null,
        });
      }
    });

    it('reconciles: new ones added, changed ones updated, ones Meta no longer has marked DELETED', async () => {
      const changed = seeds[1]!;
      const removed = seeds[2]!;
      fake.setTemplateStatus(syncChannel.wabaId, changed.id, 'PAUSED');
      changed.status = 'PAUSED';
      const gone = await fetch(`${fake.url}/v25.0/${syncChannel.wabaId}/message_templates?name=${removed.name}`, {
        method: 'DELETE',
        headers: { authorization: 'Bearer test' },
      });
      expect(gone.status).toBe(200);
      removed.status = 'DELETED';
      const addedSeed = { name: 'late_addition', language: 'en_US', category: 'UTILITY', status: 'APPROVED', components: [{ type: 'BODY', text: 'New' }] };
      seeds.push({ ...addedSeed, id: fake.addTemplate(syncChannel.wabaId, addedSeed).id });

      expect(await sync(syncOrg.ownerKey, syncChannel.id)).toEqual({ added: 1, updated: 1, deleted: 1 });
      expect((await templateNamed(syncOrg.ownerKey, changed.name, changed.language)).status).toBe('PAUSED');
      expect((await templateNamed(syncOrg.ownerKey, removed.name, removed.language)).status).toBe('DELETED');
      expect(await templateNamed(syncOrg.ownerKey, 'late_addition')).toMatchObject({ status: 'APPROVED', category: 'UTILITY' });
      expect((await allTemplates(syncOrg.ownerKey)).totalCount).toBe(SEEDED + 1);
    });

    it.each([
      [{ status: 'APPROVED' }],
      [{ category: 'MARKETING' }],
      [{ language: 'pt_BR' }],
      [{ name: 'seeded_007' }],
      [{ status: 'APPROVED', category: 'MARKETING', language: 'pt_BR' }],
    ])('lists templates filtered by %j', async (filter) => {
      const matches = (t: { status: string; category: string; language: string; name: string }) =>
        Object.entries(filter).every(([key, value]) => t[key as keyof typeof t] === value);
      const expected = seeds.filter(matches).map((seed) => seed.id).sort();
      expect(expected.length).toBeGreaterThan(0);

      const { totalCount, nodes } = await allTemplates(syncOrg.ownerKey, filter);
      expect(totalCount).toBe(expected.length);
      expect(nodes.map((node) => node.metaTemplateId).sort()).toEqual(expected);
    });

    it('is scheduled daily, and the daily job syncs each WhatsApp Business Account once', async () => {
      const schedulers = await app.queues.get('maintenance').getJobSchedulers();
      expect(schedulers.find((scheduler) => scheduler.key === 'sync-all-templates')).toMatchObject({
        name: 'sync-all-templates',
        every: 86_400_000,
      });

      // A second channel on Acme's WABA must not make that WABA sync twice.
      await createChannel(org.ownerKey, { wabaId: channel.wabaId });
      fake.reset();
      await app.queues.add('maintenance', 'sync-all-templates', {});
      // Twice: the idle check can pass the outbound queue just before the daily job fills it.
      await waitForQueuesIdle(app.queues);
      await waitForQueuesIdle(app.queues);

      const firstPages = fake.requests.filter((r) => r.method === 'GET' && r.kind === 'templates' && r.query.after === undefined);
      const wabas = firstPages.map((r) => r.path.split('/').at(-2)).sort();
      expect(wabas).toEqual([channel.wabaId, otherChannel.wabaId, syncChannel.wabaId].sort());
    });
  });

  describe('access', () => {
    it.each(['AGENT', 'VIEWER'] as const)('lets an %s list templates but not create, delete or sync them', async (role) => {
      const member = role === 'AGENT' ? agent : viewer;
      const client = app.client(member.token);
      const existing = await templateNamed(org.ownerKey, 'account_alert');
      expect((await allTemplates(member.token)).nodes.map((node) => node.id)).toContain(existing.id);

      const input = { channelId: channel.id, ...orderShipped({ name: `by_${role.toLowerCase()}` }) };
      expect(await errorCodes(client.request(CREATE_TEMPLATE, { input }))).toEqual(['FORBIDDEN']);
      expect(await errorCodes(client.request(DELETE_TEMPLATE, { input: { templateId: existing.id } }))).toEqual(['FORBIDDEN']);
      expect(await errorCodes(client.request(SYNC_TEMPLATES, { input: { channelId: channel.id } }))).toEqual(['FORBIDDEN']);
      await waitForQueuesIdle(app.queues);
      expect(await templateNamed(org.ownerKey, input.name)).toBeUndefined();
      expect((await templateNamed(org.ownerKey, 'account_alert')).status).toBe('DISABLED');
    });

    it("never shows or touches another organization's templates", async () => {
      const mine = await allTemplates(org.ownerKey);
      expect(mine.totalCount).toBeGreaterThan(0);
      const theirs = await allTemplates(other.ownerKey);
      expect(theirs.totalCount).toBe(0);
      expect(theirs.nodes).toEqual([]);

      const target = mine.nodes.find((node) => node.status === 'SUBMISSION_FAILED')!;
      const client = app.client(other.ownerKey);
      const deleting = await firstError(client.request(DELETE_TEMPLATE, { input: { templateId: target.id } }));
      expect(deleting.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'templateId' });
      const syncing = await firstError(client.request(SYNC_TEMPLATES, { input: { channelId: channel.id } }));
      expect(syncing.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'channelId' });
      const creating = await firstError(client.request(CREATE_TEMPLATE, { input: { channelId: channel.id, ...orderShipped({ name: 'intruder' }) } }));
      expect(creating.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'channelId' });

      await waitForQueuesIdle(app.queues);
      expect((await templateNamed(org.ownerKey, target.name)).status).toBe('SUBMISSION_FAILED');
      expect(await templateNamed(org.ownerKey, 'intruder')).toBeUndefined();
    });
  });
});
