import { randomUUID } from 'node:crypto';
import { Channel } from '../../entities/channel.entity';
import { Conversation } from '../../entities/conversation.entity';
import { Message, MessageType } from '../../entities/message.entity';
import { Template } from '../../entities/template.entity';
import { findById, isUuid } from '../../db/find-by-id';
import { sql } from '../../db/sql';
import { AppError, ErrorCode, badInput } from '../../domain/errors';
import { normalizeWhatsAppNumber } from '../../domain/phone-number';
import { restrictionBlocks } from '../../domain/account-restriction';
import { buildTemplateComponents, templateParameterSpec } from '../../domain/template-rules';
import { buildTemplateRequest } from '../../meta/send-request.builder';
import type { AppDeps } from '../../auth/context';
import type { EntityManager } from '../../db/entity-manager';
import type { MemberScope } from '../scope';
import { authorOf } from './send-message.service';
import { dispatch, queueOutbound } from './queue-outbound.service';
import { ConversationEventType } from '../../entities/conversation-event.entity';
import { appendEvent, type EventDraft } from '../inbound/conversation-log';

export interface SendTemplateInput {
  channelId: string;
  to: string;
  templateId: string;
  parameters?: { header?: unknown; body?: unknown; buttons?: unknown } | null;
}

/**
 * The conversation with this customer on this channel, created (with the contact) when there is
 * none; a new one is logged as opened, like one a customer starts.
 */
async function openConversation(em: EntityManager, channel: Channel, waId: string): Promise<{ conversation: Conversation; opened: EventDraft | null }> {
  const organizationId = channel.organization.id;
  const [contact] = await sql<{ id: string }>(
    em,
    `insert into contact (id, created_at, updated_at, organization_id, wa_id, first_seen_at, last_seen_at)
     values (?, now(), now(), ?, ?, now(), now())
     on conflict (organization_id, wa_id) do update set updated_at = contact.updated_at returning id`,
    [randomUUID(), organizationId, waId],
  );
  const [row] = await sql<{ id: string; inserted: boolean }>(
    em,
    `insert into conversation (id, created_at, updated_at, organization_id, channel_id, contact_id, status, last_message_at)
     values (?, now(), now(), ?, ?, ?, 'WAITING_AGENT', now())
     on conflict (channel_id, contact_id) do update set updated_at = conversation.updated_at returning id, (xmax = 0) as inserted`,
    [randomUUID(), organizationId, channel.id, contact!.id],
  );
  const opened = row!.inserted
    ? await appendEvent(em, organizationId, row!.id, ConversationEventType.CONVERSATION_OPENED, { channelId: channel.id, contactId: contact!.id })
    : null;
  const conversation = await em.findOneOrFail(Conversation, { id: row!.id }, { populate: ['channel', 'contact'] });
  return { conversation, opened };
}

/**
 * An approved template to a customer, at any time (templates are what may open or re-open a
 * conversation outside the 24-hour window). Everything is checked before anything is stored.
 */
export async function sendTemplate(scope: MemberScope, deps: AppDeps, input: SendTemplateInput) {
  const waId = normalizeWhatsAppNumber(input.to);
  if (!waId) throw badInput('to', 'to must be a WhatsApp phone number with country code, e.g. +5511999990001');
  const channel = await findById(scope.em, Channel, input.channelId, 'Channel', 'channelId');
  // The template id is part of what the caller asks to send: one that is not theirs (unknown, or
  // another organization's, answered alike) is bad input, like a wrong parameter count.
  const template = isUuid(input.templateId) ? await scope.em.findOne(Template, { id: input.templateId }) : null;
  if (!template) throw badInput('templateId', 'No template with this id; list them with the templates query');
  if (template.wabaId !== channel.wabaId) throw badInput('templateId', "The template belongs to another WhatsApp Business Account than the channel's");
  if (template.status !== 'APPROVED') {
    throw new AppError(ErrorCode.TEMPLATE_NOT_APPROVED, `Template ${template.name} is ${template.status}, not APPROVED`, {
      field: 'templateId',
      status: template.status,
    });
  }
  if (restrictionBlocks(channel.accountRestriction, 'business')) {
    throw new AppError(ErrorCode.CHANNEL_RESTRICTED, 'Meta has restricted business-initiated messaging on this channel', { channelId: channel.id });
  }
  const components = buildTemplateComponents(templateParameterSpec(template.components ?? []), input.parameters ?? {});

  const { queued, opened } = await scope.em.transactional(async (tx) => {
    const { conversation, opened } = await openConversation(tx, channel, waId);
    const queued = await queueOutbound(tx, {
      conversation: { id: conversation.id, organizationId: conversation.organization.id, channelId: conversation.channel.id },
      type: MessageType.TEMPLATE,
      text: template.name,
      author: authorOf(scope),
      template,
      request: (messageId) =>
        buildTemplateRequest({ to: waId, callbackData: messageId }, { name: template.name, language: template.language, components }),
    });
    return { queued, opened };
  });
  if (opened) await deps.events.publish([opened]);
  await dispatch(deps.queues, deps.events, [queued]);
  return scope.em.findOneOrFail(Message, { id: queued.messageId });
}
