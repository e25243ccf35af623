import { ApiKey } from './api-key.entity';
import { Channel } from './channel.entity';
import { Contact } from './contact.entity';
import { FlowVersion } from './flow-version.entity';
import { Flow } from './flow.entity';
import { ConversationEvent } from './conversation-event.entity';
import { Conversation } from './conversation.entity';
import { MessageStatusUpdate } from './message-status-update.entity';
import { Message } from './message.entity';
import { Organization } from './organization.entity';
import { Template } from './template.entity';
import { UserSession } from './user-session.entity';
import { User } from './user.entity';
import { WebhookDelivery } from './webhook-delivery.entity';

export { ApiKey, Channel, Contact, Flow, FlowVersion, Conversation, ConversationEvent, Message, MessageStatusUpdate, Organization, Template, User, UserSession, WebhookDelivery };

export const entities = [
  Organization,
  User,
  UserSession,
  ApiKey,
  Channel,
  Contact,
  Conversation,
  Message,
  MessageStatusUpdate,
  ConversationEvent,
  Template,
  WebhookDelivery,
  Flow,
  FlowVersion,
];

/** Entities the tenant filter scopes (Organization by its own id). */
export const tenantScopedEntities = [
  'Organization',
  'User',
  'UserSession',
  'ApiKey',
  'Channel',
  'Contact',
  'Conversation',
  'Message',
  'MessageStatusUpdate',
  'ConversationEvent',
  'Template',
  'Flow',
  'FlowVersion',
];
