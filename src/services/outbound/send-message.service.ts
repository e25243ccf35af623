import { Conversation } from '../../entities/conversation.entity';
import { AuthorKind, Message, MessageType } from '../../entities/message.entity';
import { Template } from '../../entities/template.entity';
import { findById } from '../../db/find-by-id';
import { AppError, ErrorCode, badInput } from '../../domain/errors';
import { validateOutboundContent, type OutboundContent } from '../../domain/outbound-limits';
import { restrictionBlocks } from '../../domain/account-restriction';
import { serviceWindow } from '../../domain/window-policy';
import { buildContentRequest } from '../../meta/send-request.builder';
import type { AppDeps } from '../../auth/context';
import type { MemberScope } from '../scope';
import { dispatch, queueOutbound } from './queue-outbound.service';

const TYPE_OF: Record<OutboundContent['kind'], MessageType> = {
  text: MessageType.TEXT,
  buttons: MessageType.INTERACTIVE,
  list: MessageType.INTERACTIVE,
  media: MessageType.IMAGE,
};

const MEDIA_TYPES: Record<string, MessageType> = {
  image: MessageType.IMAGE,
  video: MessageType.VIDEO,
  audio: MessageType.AUDIO,
  document: MessageType.DOCUMENT,
  sticker: MessageType.STICKER,
};

/** Who the message is from: the member acting, or the API key that acts for nobody. */
export const authorOf = (scope: MemberScope) =>
  scope.viewer.userId ? { kind: AuthorKind.AGENT, userId: scope.viewer.userId } : { kind: AuthorKind.API, userId: null };

const REPLY_WAMID = /^[\w.=+/-]{1,255}$/;

/** The organization's approved templates, offered when a free-form message is refused. */
async function approvedTemplates(scope: MemberScope, wabaId: string) {
  const templates = await scope.em.find(Template, { status: 'APPROVED', wabaId }, { orderBy: { name: 'asc' }, limit: 100 });
  return templates.map((template) => ({ id: template.id, name: template.name, language: template.language, category: template.category }));
}

/**
 * A free-form message from an agent or the API into an existing conversation. Refused before
 * anything is stored when the content breaks WhatsApp's limits, the channel is restricted, or the
 * 24-hour window is closed (the error lists the approved templates to use instead).
 */
export async function sendMessage(
  scope: MemberScope,
  deps: AppDeps,
  input: { conversationId: string; content: OutboundContent; replyToWamid?: string | null },
) {
  validateOutboundContent(input.content);
  if (input.replyToWamid && !REPLY_WAMID.test(input.replyToWamid)) throw badInput('replyToWamid', 'replyToWamid is not a WhatsApp message id');
  const conversation = await findById(scope.em, Conversation, input.conversationId, 'Conversation', 'conversationId');
  await scope.em.populate(conversation, ['channel', 'contact']);
  if (restrictionBlocks(conversation.channel.accountRestriction, 'customer')) {
    throw new AppError(ErrorCode.CHANNEL_RESTRICTED, 'Meta has restricted messaging on this channel', { channelId: conversation.channel.id });
  }
  const window = serviceWindow(conversation.lastInboundAt);
  if (!window.isOpen) {
    throw new AppError(ErrorCode.WINDOW_CLOSED, "The customer's 24-hour window is closed: send an approved template instead", {
      windowExpiresAt: window.expiresAt?.toISOString() ?? null,
      approvedTemplates: await approvedTemplates(scope, conversation.channel.wabaId),
    });
  }
  const content = input.content;
  const type = content.kind === 'media' ? MEDIA_TYPES[content.mediaKind]! : TYPE_OF[content.kind];
  const text = content.kind === 'media' ? (content.caption ?? null) : content.text;
  const queued = await scope.em.transactional((tx) =>
    queueOutbound(tx, {
      conversation: { id: conversation.id, organizationId: conversation.organization.id, channelId: conversation.channel.id },
      type,
      text,
      author: authorOf(scope),
      replyToWamid: input.replyToWamid,
      request: (messageId) =>
        buildContentRequest({ to: conversation.contact.waId, callbackData: messageId, replyToWamid: input.replyToWamid }, content),
    }),
  );
  await dispatch(deps.queues, deps.events, [queued]);
  return scope.em.findOneOrFail(Message, { id: queued.messageId });
}
