import type { NonEmptyArray } from 'type-graphql';
import { ApiKeyResolver } from './api-key.resolver';
import { ChannelResolver } from './channel.resolver';
import { ContactResolver } from './contact.resolver';
import { ConversationResolver } from './conversation.resolver';
import { FlowResolver } from './flow.resolver';
import { liveResolvers } from './live.resolver';
import { analyticsResolvers } from './analytics';
import { MessageResolver } from './message.resolver';
import { OutboundResolver } from './outbound.resolver';
import { TemplateResolver } from './template.resolver';
import { WebhookDeliveryResolver } from './webhook-delivery.resolver';
import { OperationsResolver } from './operations.resolver';
import { OrganizationResolver } from './organization.resolver';
import { SessionResolver } from './session.resolver';
import { UserResolver } from './user.resolver';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const resolvers: NonEmptyArray<Function> = [
  OrganizationResolver,
  SessionResolver,
  UserResolver,
  ApiKeyResolver,
  ChannelResolver,
  OperationsResolver,
  ConversationResolver,
  MessageResolver,
  ContactResolver,
  TemplateResolver,
  WebhookDeliveryResolver,
  OutboundResolver,
  FlowResolver,
  ...liveResolvers,
  ...analyticsResolvers,
];
