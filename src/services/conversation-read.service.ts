import type { FilterQuery } from '@mikro-orm/core';
import { Contact } from '../entities/contact.entity';
import { Conversation, type ConversationStatus } from '../entities/conversation.entity';
import { Message, type MessageDirection, MessageType } from '../entities/message.entity';
import { Template } from '../entities/template.entity';
import { findById, isUuid } from '../db/find-by-id';
import { paginate, type PageArgs } from '../db/paginate';
import type { MemberScope } from './scope';

/** An id filter that cannot match when the id is malformed (instead of an SQL error). */
const idOrNone = (id: string) => (isUuid(id) ? id : '00000000-0000-0000-0000-000000000000');

export interface ConversationFilterInput {
  status?: ConversationStatus | null;
  channelId?: string | null;
  contactId?: string | null;
  assignedToMe?: boolean | null;
}

/** The inbox: most recent activity first. */
export function listConversations(scope: MemberScope, filter: ConversationFilterInput = {}, page: PageArgs = {}) {
  const where: FilterQuery<Conversation> = {};
  if (filter.status) where.status = filter.status;
  if (filter.channelId) where.channel = idOrNone(filter.channelId);
  if (filter.contactId) where.contact = idOrNone(filter.contactId);
  if (filter.assignedToMe) where.assignedTo = scope.viewer.userId ?? idOrNone('');
  return paginate(scope.em, Conversation, where, page, { field: 'lastMessageAt', direction: 'desc' });
}

export const getConversation = (scope: MemberScope, id: string) => findById(scope.em, Conversation, id, 'Conversation');

export interface MessageFilterInput {
  wamid?: string | null;
  conversationId?: string | null;
  direction?: MessageDirection | null;
}

/** Newest first. Reactions decorate their target message and are not listed as messages. */
export function listMessages(scope: MemberScope, filter: MessageFilterInput = {}, page: PageArgs = {}) {
  const where: FilterQuery<Message> = { type: { $ne: MessageType.REACTION } };
  if (filter.wamid) where.wamid = filter.wamid;
  if (filter.conversationId) where.conversation = idOrNone(filter.conversationId);
  if (filter.direction) where.direction = filter.direction;
  return paginate(scope.em, Message, where, page, { field: 'createdAt', direction: 'desc' });
}

export function listContacts(scope: MemberScope, filter: { waId?: string | null; name?: string | null } = {}, page: PageArgs = {}) {
  const where: FilterQuery<Contact> = {};
  if (filter.waId) where.waId = filter.waId;
  if (filter.name) where.name = { $ilike: `%${filter.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%` };
  return paginate(scope.em, Contact, where, page);
}

export const getContact = (scope: MemberScope, id: string) => findById(scope.em, Contact, id, 'Contact');

export function listTemplates(
  scope: MemberScope,
  filter: { status?: string | null; category?: string | null; language?: string | null; name?: string | null } = {},
  page: PageArgs = {},
) {
  const where: FilterQuery<Template> = {};
  if (filter.status) where.status = filter.status;
  if (filter.category) where.category = filter.category;
  if (filter.language) where.language = filter.language;
  if (filter.name) where.name = filter.name;
  return paginate(scope.em, Template, where, page);
}
