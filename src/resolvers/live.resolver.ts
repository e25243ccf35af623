import { Arg, Authorized, Ctx, FieldResolver, ID, Resolver, Root, Subscription, type ClassType } from 'type-graphql';
import type { GraphQLContext } from '../auth/context';
import { tenantEm } from '../db/entity-manager';
import { AppError, ErrorCode, unauthenticated } from '../domain/errors';
import { Channel } from '../entities/channel.entity';
import { Conversation } from '../entities/conversation.entity';
import { Message } from '../entities/message.entity';
import { Template } from '../entities/template.entity';
import { User } from '../entities/user.entity';
import { openCatalogFeed } from '../services/live/catalog-feed';
import { openConversationFeed } from '../services/live/conversation-feed';
import { openInboxFeed } from '../services/live/inbox-feed';
import type { FeedScope } from '../services/live/live-deps';
import type { CatalogRoot, ChannelDomainEvent, ConversationEventRoot, InboxRoot, TemplateDomainEvent } from '../services/live/live-event';
import {
  ChannelUpdate,
  ConversationAssigned,
  ConversationEventBase,
  InboxFilter,
  InboxUpdate,
  MessageReceived,
  MessageSent,
  MessageStatusChanged,
  TemplateUpdate,
  channelUpdateView,
  conversationEventView,
  templateUpdateView,
} from './types/live.types';

/**
 * The subscriber as a feed sees it: a member, a tenant-scoped EntityManager, and its socket. A feed
 * lives as long as its socket and reads rarely (its start, a resume, a gap), so each read gets a
 * fork of its own instead of one held for the socket's lifetime.
 */
function feedScope(ctx: GraphQLContext): FeedScope {
  const viewer = ctx.viewer;
  if (viewer?.kind !== 'member') throw unauthenticated();
  const live = ctx.deps.live;
  if (!live) throw new AppError(ErrorCode.INTERNAL_SERVER_ERROR, 'Live feeds are served by api processes only');
  const orm = ctx.deps.orm;
  return {
    live,
    get em() {
      return tenantEm(orm, viewer.organizationId);
    },
    viewer,
    log: ctx.log,
    socket: ctx.socket,
  };
}

/**
 * Live feeds over graphql-ws. The `subscribe` functions open per-subscriber source streams
 * (services/live); the methods turn each delivered root into its GraphQL object. Results are
 * executed once per group of identical subscriptions (services/live/fanout.ts), with loaders that
 * read rows as they are at delivery.
 */
@Resolver()
export class LiveResolver {
  @Authorized()
  @Subscription(() => ConversationEventBase, {
    description:
      "Every event of the organization's conversations (or of one), in log order. With `after`, first replays the log since that cursor, then continues live with no gap and no duplicate.",
    subscribe: ({ args, context }) => openConversationFeed(feedScope(context as GraphQLContext), args as { conversationId?: string; after?: string }),
  })
  conversationEvents(
    @Root() root: ConversationEventRoot,
    @Arg('conversationId', () => ID, { nullable: true }) _conversationId: string | null,
    @Arg('after', () => String, { nullable: true, description: 'The cursor of the last event received' }) _after: string | null,
  ): ConversationEventBase | null {
    return conversationEventView(root.event);
  }

  @Authorized()
  @Subscription(() => InboxUpdate, {
    description: 'Conversations entering, changing within or leaving the filter of an agent list (the conversations query filter)',
    subscribe: ({ args, context }) => openInboxFeed(feedScope(context as GraphQLContext), (args as { filter?: InboxFilter | null }).filter ?? {}),
  })
  inbox(@Root() root: InboxRoot, @Arg('filter', () => InboxFilter, { nullable: true }) _filter: InboxFilter | null): InboxUpdate {
    return Object.assign(new InboxUpdate(), { change: root.change, conversationId: root.conversationId, cursor: root.cursor, at: new Date(root.at) });
  }

  @Authorized()
  @Subscription(() => TemplateUpdate, {
    description: "Meta's changes to the organization's templates: status, quality, category",
    subscribe: ({ context }) => openCatalogFeed(feedScope(context as GraphQLContext), 'template'),
  })
  templateUpdates(@Root() root: CatalogRoot<TemplateDomainEvent>): TemplateUpdate {
    return templateUpdateView(root.event);
  }

  @Authorized()
  @Subscription(() => ChannelUpdate, {
    description: "Meta's changes to the organization's phone numbers: quality, messaging limits, account restrictions",
    subscribe: ({ context }) => openCatalogFeed(feedScope(context as GraphQLContext), 'channel'),
  })
  channelUpdates(@Root() root: CatalogRoot<ChannelDomainEvent>): ChannelUpdate {
    return channelUpdateView(root.event);
  }
}

@Resolver(() => ConversationEventBase)
export class ConversationEventFieldsResolver {
  @FieldResolver(() => Conversation, { nullable: true, description: 'As it is now' })
  conversation(@Root() event: ConversationEventBase, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.conversation.load(event.conversationId);
  }
}

/** `message` (as it is now) on the event types about one message. */
function messageFieldResolver<T extends { messageId: string }>(type: ClassType<T>) {
  @Resolver(() => type)
  class MessageFieldResolver {
    @FieldResolver(() => Message, { nullable: true, description: 'The message as it is now' })
    message(@Root() event: T, @Ctx() ctx: GraphQLContext) {
      return event.messageId ? ctx.loaders.message.load(event.messageId) : null;
    }
  }
  return MessageFieldResolver;
}

export const MessageReceivedResolver = messageFieldResolver(MessageReceived);
export const MessageSentResolver = messageFieldResolver(MessageSent);
export const MessageStatusChangedResolver = messageFieldResolver(MessageStatusChanged);

@Resolver(() => ConversationAssigned)
export class ConversationAssignedResolver {
  @FieldResolver(() => User, { nullable: true, description: 'null when unassigned' })
  assignedTo(@Root() event: ConversationAssigned, @Ctx() ctx: GraphQLContext) {
    return event.assignedToId ? ctx.loaders.user.load(event.assignedToId) : null;
  }
}

@Resolver(() => InboxUpdate)
export class InboxUpdateResolver {
  @FieldResolver(() => Conversation, { nullable: true, description: 'As it is now' })
  conversation(@Root() update: InboxUpdate, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.conversation.load(update.conversationId);
  }
}

@Resolver(() => TemplateUpdate)
export class TemplateUpdateResolver {
  @FieldResolver(() => Template, { nullable: true, description: 'As it is now' })
  async template(@Root() update: TemplateUpdate, @Ctx() ctx: GraphQLContext) {
    return ctx.em.findOne(Template, { id: update.templateId });
  }
}

@Resolver(() => ChannelUpdate)
export class ChannelUpdateResolver {
  @FieldResolver(() => Channel, { nullable: true, description: 'As it is now' })
  channel(@Root() update: ChannelUpdate, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.channel.load(update.channelId);
  }
}

/** Everything this file registers. */
export const liveResolvers = [
  LiveResolver,
  ConversationEventFieldsResolver,
  MessageReceivedResolver,
  MessageSentResolver,
  MessageStatusChangedResolver,
  ConversationAssignedResolver,
  InboxUpdateResolver,
  TemplateUpdateResolver,
  ChannelUpdateResolver,
] as const;
