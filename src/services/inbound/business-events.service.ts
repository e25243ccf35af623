import { Channel, MessagingLimitTier } from '../../entities/channel.entity';
import { Template } from '../../entities/template.entity';
import type { EntityManager } from '../../db/entity-manager';
import { safeJson } from '../../domain/safe-text';
import type { DomainEvent } from '../../pubsub/domain-event';
import { QuarantineError } from './quarantine-error';
import { IgnoredItem } from './ignored-item';

type Value = Record<string, unknown>;

const text = (value: unknown): string | null => (typeof value === 'string' && value ? value : null);
/** Template ids exceed 2^53: the lossless parser hands them over as strings; small ones are numbers. */
const id = (value: unknown): string | null =>
  typeof value === 'string' && /^\d+$/.test(value) ? value : typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : null;

/** Null prototype: a tier named "constructor" or "toString" is unknown, not Object's method. */
const LIMIT_TIERS: Record<string, MessagingLimitTier> = Object.assign(Object.create(null) as Record<string, MessagingLimitTier>, {
  TIER_50: MessagingLimitTier.TIER_50,
  TIER_250: MessagingLimitTier.TIER_250,
  TIER_1K: MessagingLimitTier.TIER_1K,
  TIER_2K: MessagingLimitTier.TIER_2K,
  TIER_10K: MessagingLimitTier.TIER_10K,
  TIER_100K: MessagingLimitTier.TIER_100K,
  TIER_UNLIMITED: MessagingLimitTier.UNLIMITED,
  UNLIMITED: MessagingLimitTier.UNLIMITED,
  NOT_SET: MessagingLimitTier.NOT_SET,
});

/** Meta's highest per-number throughput, granted by a THROUGHPUT_UPGRADE event. */
const UPGRADED_THROUGHPUT = 1000;

const templateEvent = (template: Template, type: string): DomainEvent => ({
  kind: 'template',
  organizationId: template.organization.id,
  templateId: template.id,
  type,
  data: { status: template.status, qualityScore: template.qualityScore, category: template.category, pendingCategory: template.pendingCategory },
  at: new Date().toISOString(),
});

const channelEvent = (channel: Channel, type: string): DomainEvent => ({
  kind: 'channel',
  organizationId: channel.organization.id,
  channelId: channel.id,
  type,
  data: {
    qualityRating: channel.qualityRating,
    messagingLimitTier: channel.messagingLimitTier,
    throughputPerSecond: channel.throughputPerSecond,
    accountEvent: channel.accountEvent,
  },
  at: new Date().toISOString(),
});

/** The templates an event names, in every organization that registered this WABA; created when unknown. */
async function templatesFor(em: EntityManager, wabaId: string, value: Value): Promise<Template[]> {
  const metaTemplateId = id(value.message_template_id);
  if (!metaTemplateId) throw new QuarantineError('template event has no message_template_id');
  const channels = await em.find(Channel, { wabaId });
  if (!channels.length) throw new IgnoredItem(`no channel belongs to WhatsApp Business Account ${wabaId}`);
  const organizations = [...new Set(channels.map((channel) => channel.organization.id))];
  const templates: Template[] = [];
  for (const organizationId of organizations) {
    let template = await em.findOne(Template, { organization: organizationId, wabaId, metaTemplateId });
    if (!template) {
      const name = text(value.message_template_name);
      const language = text(value.message_template_language);
      if (!name || !language) throw new QuarantineError('unknown template event without name and language');
      template = em.create(Template, { organization: organizationId, wabaId, metaTemplateId, name, language });
    }
    templates.push(template);
  }
  return templates;
}

/** Applies template status, quality and category webhooks. Returns the events to publish. */
/**
 * Whether an event of `field` that Meta stamped `at` is the newest seen for this row (it then
 * records it). Events without a time are applied, as Meta sent them.
 */
function isNewest(row: { eventTimes?: Record<string, string> | null }, field: string, at: Date | null): boolean {
  if (!at) return true;
  const seen = row.eventTimes?.[field];
  if (seen && new Date(seen).getTime() > at.getTime()) return false;
  row.eventTimes = { ...row.eventTimes, [field]: at.toISOString() };
  return true;
}

export async function applyTemplateChange(em: EntityManager, wabaId: string, field: string, value: Value, at: Date | null = null): Promise<DomainEvent[]> {
  const templates = (await templatesFor(em, wabaId, value)).filter((template) => isNewest(template, field, at));
  for (const template of templates) {
    if (field === 'message_template_status_update') {
      const event = text(value.event);
      if (!event) throw new QuarantineError('template status update has no event');
      template.status = event;
      const category = text(value.message_template_category);
      if (category) template.category = category;
      const rejection = value.rejection_info as Value | undefined;
      template.rejectionReason =
        event === 'REJECTED' ? (text(rejection?.reason) ?? text(value.reason) ?? template.rejectionReason ?? null) : null;
      const details = Object.fromEntries(
        ['reason', 'disable_info', 'other_info', 'rejection_info'].filter((key) => value[key] != null).map((key) => [key, value[key]]),
      );
      template.statusDetails = Object.keys(details).length ? safeJson(details) : null;
    } else if (field === 'message_template_quality_update') {
      template.qualityScore = text(value.new_quality_score) ?? template.qualityScore ?? null;
    } else if (field === 'template_category_update') {
      if (text(value.previous_category)) {
        // The change happened.
        template.category = text(value.new_category) ?? template.category ?? null;
        template.pendingCategory = null;
      } else {
        // The advance warning: `new_category` is still the current one; the change comes later.
        template.pendingCategory = text(value.correct_category) ?? template.pendingCategory ?? null;
      }
    }
  }
  await em.flush();
  return templates.map((template) => templateEvent(template, field));
}

const digits = (value: unknown) => (typeof value === 'string' ? value.replace(/\D/g, '') : '');

/** Applies phone number quality/throughput and account updates to the channels of a WABA. */
export async function applyChannelChange(em: EntityManager, wabaId: string, field: string, value: Value, at: Date | null = null): Promise<DomainEvent[]> {
  let channels = await em.find(Channel, { wabaId });
  if (!channels.length) throw new IgnoredItem(`no channel belongs to WhatsApp Business Account ${wabaId}`);
  if (field === 'phone_number_quality_update') {
    const number = digits(value.display_phone_number);
    channels = channels.filter((channel) => digits(channel.displayPhoneNumber) === number && isNewest(channel, field, at));
    const tier = LIMIT_TIERS[text(value.max_daily_conversations_per_business) ?? text(value.current_limit) ?? ''];
    for (const channel of channels) {
      if (tier) channel.messagingLimitTier = tier;
      if (value.event === 'THROUGHPUT_UPGRADE') channel.throughputPerSecond = UPGRADED_THROUGHPUT;
    }
  } else if (field === 'account_update') {
    const event = text(value.event);
    if (!event) throw new QuarantineError('account update has no event');
    const details = Object.fromEntries(
      ['restriction_info', 'violation_info', 'ban_info', 'lock_info'].filter((key) => value[key] != null).map((key) => [key, value[key]]),
    );
    channels = channels.filter((channel) => isNewest(channel, field, at));
    for (const channel of channels) {
      channel.accountEvent = event;
      channel.accountRestriction = Object.keys(details).length ? safeJson(details) : null;
      channel.accountUpdatedAt = at ?? new Date();
    }
  }
  await em.flush();
  return channels.map((channel) => channelEvent(channel, field));
}
