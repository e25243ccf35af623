import { gql } from 'graphql-request';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { channelInput, createOrganization, type TestOrganization } from '../helpers/fixtures';
import { businessEnvelope, postWebhook } from '../helpers/meta-webhook';
import {
  accountUpdate,
  batch,
  deliver,
  deliveryOf,
  phoneNumberQuality,
  rows,
  templateCategoryChanged,
  templateCategoryWarning,
  templateQuality,
  templateStatus,
  type TemplateRef,
} from '../helpers/meta-payloads';

const CREATE_CHANNEL = gql`
  mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id phoneNumberId wabaId displayPhoneNumber } } }
`;
const TEMPLATES = gql`
  query ($name: String) {
    templates(filter: { name: $name }) {
      totalCount
      edges { node { metaTemplateId name language status category pendingCategory qualityScore rejectionReason statusDetails } }
    }
  }
`;
const CHANNEL = gql`
  query ($id: ID!) { channel(id: $id) { messagingLimitTier throughputPerSecond accountEvent accountRestriction accountUpdatedAt } }
`;

let templateSequence = 0;
/** A template Meta knows and we do not (yet): 16-digit ids, below 2^53. */
const newTemplate = (name: string, language = 'pt_BR'): TemplateRef => {
  templateSequence += 1;
  return { id: 1_048_576_000_000_000 + templateSequence * 7 + (Date.now() % 1000) * 1000, name: `${name}_${templateSequence}`, language };
};

describe('webhook processing: template, phone number and account events', () => {
  let app: TestApp;
  let org: TestOrganization;
  let channel: { id: string; wabaId: string; displayPhoneNumber: string };

  const createChannel = async (owner: TestOrganization) =>
    (await app.client(owner.ownerKey).request<any>(CREATE_CHANNEL, { input: channelInput() })).createChannel.channel;

  async function readTemplates(name: string, key = org.ownerKey) {
    const result = await app.client(key).request<any>(TEMPLATES, { name });
    return result.templates.edges.map((edge: any) => edge.node);
  }
  async function readTemplate(name: string) {
    const [template, ...more] = await readTemplates(name);
    expect(more).toEqual([]);
    return template;
  }
  const readChannel = async (id = channel.id) => (await app.client(org.ownerKey).request<any>(CHANNEL, { id })).channel;
  const count = async (table: string) => (await rows<{ n: number }>(app, `select count(*)::int as n from ${table}`))[0]!.n;

  beforeAll(async () => {
    app = await startTestApp();
    org = await createOrganization(app);
    channel = await createChannel(org);
  });
  afterAll(() => app?.stop());

  describe('message_template_status_update', () => {
    it('creates a template unknown locally from an APPROVED event', async () => {
      const template = newTemplate('order_shipped');
      await deliver(app, templateStatus(channel.wabaId, template, 'APPROVED', { message_template_category: 'UTILITY' }));
      expect(await readTemplate(template.name)).toEqual({
        metaTemplateId: String(template.id),
        name: template.name,
        language: 'pt_BR',
        status: 'APPROVED',
        category: 'UTILITY',
        pendingCategory: null,
        qualityScore: null,
        rejectionReason: null,
        statusDetails: { reason: 'NONE' },
      });
    });

    it('keeps the reason and rejection info of a REJECTED event', async () => {
      const template = newTemplate('spring_sale');
      const rejection = { reason: 'The template contains a link to a prohibited site.', recommendation: 'Remove the link and submit again.' };
      await deliver(app, templateStatus(channel.wabaId, template, 'PENDING'));
      await deliver(app, templateStatus(channel.wabaId, template, 'REJECTED', { reason: 'PROMOTIONAL', rejection_info: rejection }));
      expect(await readTemplate(template.name)).toMatchObject({
        status: 'REJECTED',
        rejectionReason: rejection.reason,
        statusDetails: { reason: 'PROMOTIONAL', rejection_info: rejection },
      });
    });

    it('keeps other_info of a PAUSED event and clears the old rejection', async () => {
      const template = newTemplate('weekly_digest');
      const otherInfo = { title: 'FIRST_PAUSE', description: 'Your WhatsApp message template has been paused for 3 hours due to low quality.' };
      await deliver(app, templateStatus(channel.wabaId, template, 'REJECTED', { reason: 'INVALID_FORMAT' }));
      expect(await readTemplate(template.name)).toMatchObject({ status: 'REJECTED', rejectionReason: 'INVALID_FORMAT' });
      await deliver(app, templateStatus(channel.wabaId, template, 'PAUSED', { other_info: otherInfo }));
      expect(await readTemplate(template.name)).toMatchObject({
        status: 'PAUSED',
        rejectionReason: null,
        statusDetails: { reason: 'NONE', other_info: otherInfo },
      });
    });

    it('keeps disable_info of a DISABLED event', async () => {
      const template = newTemplate('flash_offer');
      const disableInfo = { disable_date: 1_767_225_600 };
      await deliver(app, templateStatus(channel.wabaId, template, 'DISABLED', { disable_info: disableInfo }));
      expect(await readTemplate(template.name)).toMatchObject({ status: 'DISABLED', statusDetails: { disable_info: disableInfo } });
    });

    it('keeps a template id beyond 2^53, sent as a bare JSON number, exactly', async () => {
      const name = `order_update_big_${Date.now()}`;
      const value = (field: string, rest: string) =>
        `{"field":"${field}","value":{${rest},"message_template_id":1234567890123456789,"message_template_name":"${name}","message_template_language":"en_US"}}`;
      const raw =
        `{"object":"whatsapp_business_account","entry":[{"id":"${channel.wabaId}","time":${Math.floor(Date.now() / 1000)},"changes":[` +
        `${value('message_template_status_update', '"event":"APPROVED","reason":"NONE"')},` +
        `${value('message_template_quality_update', '"previous_quality_score":"UNKNOWN","new_quality_score":"GREEN"')}]}]}`;
      await deliver(app, raw);

      // Not a double: a plain JSON.parse anywhere on the way would have stored ...800.
      expect(String(JSON.parse('1234567890123456789'))).toBe('1234567890123456800');
      const [template, ...more] = await readTemplates(name);
      expect(more).toEqual([]);
      expect(template).toMatchObject({ metaTemplateId: '1234567890123456789', status: 'APPROVED', qualityScore: 'GREEN', language: 'en_US' });
    });

    it('quarantines an event without a template id and applies the one beside it', async () => {
      const template = newTemplate('welcome');
      const { entry } = templateStatus(channel.wabaId, template, 'APPROVED');
      const broken = templateStatus(channel.wabaId, template, 'APPROVED');
      delete (broken.entry[0]!.changes[0]!.value as Record<string, unknown>).message_template_id;
      const body = batch(broken, { entry });
      await deliver(app, body);
      expect(await readTemplate(template.name)).toMatchObject({ status: 'APPROVED' });
      expect((await deliveryOf(app, JSON.stringify(body))).issues).toEqual([
        { path: 'entry[0].changes[0]', kind: 'quarantined', reason: 'template event has no message_template_id' },
      ]);
    });

    it("changes only the templates of organizations that registered the event's WABA", async () => {
      const other = await createOrganization(app, 'Other Co');
      await createChannel(other);
      const template = newTemplate('otp_code');
      await deliver(app, templateStatus(channel.wabaId, template, 'APPROVED'));
      expect(await readTemplates(template.name, other.ownerKey)).toEqual([]);

      const nobodys = newTemplate('nobodys');
      await deliver(app, templateStatus('9000000000000001', nobodys, 'APPROVED'));
      expect(await rows(app, 'select 1 from template where name = ?', [nobodys.name])).toEqual([]);
    });
  });

  describe('message_template_quality_update and template_category_update', () => {
    it('records the new quality score', async () => {
      const template = newTemplate('cart_reminder');
      await deliver(app, templateStatus(channel.wabaId, template, 'APPROVED'));
      await deliver(app, templateQuality(channel.wabaId, template, 'GREEN', 'YELLOW'));
      expect(await readTemplate(template.name)).toMatchObject({ qualityScore: 'YELLOW', status: 'APPROVED' });
      await deliver(app, templateQuality(channel.wabaId, template, 'YELLOW', 'RED'));
      expect(await readTemplate(template.name)).toMatchObject({ qualityScore: 'RED' });
    });

    it('keeps the category on the advance warning, then switches it when the change happens', async () => {
      const template = newTemplate('loyalty_points');
      await deliver(app, templateStatus(channel.wabaId, template, 'APPROVED', { message_template_category: 'UTILITY' }));

      await deliver(app, templateCategoryWarning(channel.wabaId, template, 'UTILITY', 'MARKETING', new Date(Date.now() + 24 * 3600 * 1000)));
      expect(await readTemplate(template.name)).toMatchObject({ category: 'UTILITY', pendingCategory: 'MARKETING' });

      await deliver(app, templateCategoryChanged(channel.wabaId, template, 'UTILITY', 'MARKETING'));
      expect(await readTemplate(template.name)).toMatchObject({ category: 'MARKETING', pendingCategory: null });
    });
  });

  describe('phone_number_quality_update and account_update', () => {
    it('sets the messaging limit tier, and 1,000 messages a second on THROUGHPUT_UPGRADE', async () => {
      const own = await createChannel(org);
      await deliver(app, phoneNumberQuality(own.wabaId, own.displayPhoneNumber, 'ONBOARDING', 'TIER_2K'));
      expect(await readChannel(own.id)).toMatchObject({ messagingLimitTier: 'TIER_2K', throughputPerSecond: 80 });
      await deliver(app, phoneNumberQuality(own.wabaId, own.displayPhoneNumber, 'THROUGHPUT_UPGRADE', 'TIER_UNLIMITED'));
      expect(await readChannel(own.id)).toMatchObject({ messagingLimitTier: 'UNLIMITED', throughputPerSecond: 1000 });

      // A tier we do not know (or named like a JavaScript built-in) leaves the tier as it was.
      for (const tier of ['TIER_5M', 'constructor']) {
        await deliver(app, phoneNumberQuality(own.wabaId, own.displayPhoneNumber, 'ONBOARDING', tier));
        expect(await readChannel(own.id)).toMatchObject({ messagingLimitTier: 'UNLIMITED' });
      }
    });

    it('records the account event and its restriction details on the channel', async () => {
      const own = await createChannel(org);
      const restriction = [{ restriction_type: 'RESTRICTED_ADD_PHONE_NUMBER_ACTION', expiration: 1_767_225_600 }];
      await deliver(app, accountUpdate(own.wabaId, 'ACCOUNT_RESTRICTION', { restriction_info: restriction }));
      expect(await readChannel(own.id)).toMatchObject({
        accountEvent: 'ACCOUNT_RESTRICTION',
        accountRestriction: { restriction_info: restriction },
        accountUpdatedAt: expect.any(String),
      });

      const violation = { violation_type: 'SCAM' };
      await deliver(app, accountUpdate(own.wabaId, 'ACCOUNT_VIOLATION', { violation_info: violation }));
      expect(await readChannel(own.id)).toMatchObject({ accountEvent: 'ACCOUNT_VIOLATION', accountRestriction: { violation_info: violation } });
      // The other channel of this organization is another WABA: untouched.
      expect(await readChannel()).toMatchObject({ accountEvent: null, accountRestriction: null });
    });
  });

  describe('what we do not handle', () => {
    it.each([
      ['an unknown field alone', businessEnvelope('100000000000001', 'business_capability_update', { max_daily_conversation_per_phone: 1000 })],
      ['another Meta product', { object: 'page', entry: [{ id: '100000000000001', time: 1, changes: [{ field: 'feed', value: { item: 'post' } }] }] }],
    ])('answers 200 to %s and stores nothing', async (_what, body) => {
      const before = { deliveries: await count('webhook_delivery'), templates: await count('template') };
      const raw = JSON.stringify(body);
      const response = await postWebhook(app.url, raw);
      expect(response.status).toBe(200);
      expect({ deliveries: await count('webhook_delivery'), templates: await count('template') }).toEqual(before);
    });
  });
});
