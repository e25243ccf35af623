import { Field, ID, InputType, Int, InterfaceType, ObjectType, registerEnumType } from 'type-graphql';
import { ConversationEventType } from '../../entities/conversation-event.entity';
import { ConversationStatus } from '../../entities/conversation.entity';
import { AuthorKind } from '../../entities/message.entity';
import { MessagingLimitTier, QualityRating } from '../../entities/channel.entity';
import { MessageStatus } from '../../domain/message-status';
import { InboxChange, type ChannelDomainEvent, type ConversationDomainEvent, type TemplateDomainEvent } from '../../services/live/live-event';

registerEnumType(InboxChange, { name: 'InboxChange', description: 'How a conversation moved relative to an inbox filter' });

@InterfaceType('ConversationEvent', {
  description: 'One entry of a conversation event log, live or replayed',
  resolveType: (event: ConversationEventBase) => event.graphqlType,
})
export abstract class ConversationEventBase {
  /** The concrete GraphQL type (not a field). */
  graphqlType!: string;

  @Field({ description: 'Resume point: pass the last one received as `after` when subscribing again' })
  cursor!: string;

  @Field(() => ID)
  conversationId!: string;

  @Field(() => Date)
  at!: Date;
}

/** Events about one message; `message` is loaded as it is now. */
@ObjectType({ implements: ConversationEventBase, description: 'The customer wrote' })
export class MessageReceived extends ConversationEventBase {
  messageId!: string;
}

@ObjectType({ implements: ConversationEventBase, description: 'A message to the customer was queued (by an agent, the API or the bot)' })
export class MessageSent extends ConversationEventBase {
  messageId!: string;

  @Field(() => AuthorKind, { nullable: true })
  author!: AuthorKind | null;
}

@ObjectType({ implements: ConversationEventBase, description: 'An outbound message moved on (SENT, DELIVERED, READ, FAILED...)' })
export class MessageStatusChanged extends ConversationEventBase {
  messageId!: string;

  /** Not `status`: that is the conversation's status on other ConversationEvent types, and one selection may ask for both. */
  @Field(() => MessageStatus, { description: 'The status this event set; `message.status` is the latest' })
  messageStatus!: MessageStatus;

  @Field(() => String, { nullable: true, description: "Meta's error code when FAILED" })
  errorCode!: string | null;
}

@ObjectType({ implements: ConversationEventBase, description: 'The customer reacted to a message (emoji null: reaction removed)' })
export class MessageReaction extends ConversationEventBase {
  @Field(() => String, { nullable: true })
  emoji!: string | null;

  @Field({ description: 'wamid of the message reacted to' })
  targetWamid!: string;
}

@ObjectType({ implements: ConversationEventBase, description: 'A new conversation started' })
export class ConversationOpened extends ConversationEventBase {}

@ObjectType({ implements: ConversationEventBase, description: 'The conversation was assigned to an agent, or unassigned' })
export class ConversationAssigned extends ConversationEventBase {
  assignedToId!: string | null;

  @Field(() => ConversationStatus)
  status!: ConversationStatus;

  @Field(() => ConversationStatus, { nullable: true })
  previousStatus!: ConversationStatus | null;
}

@ObjectType({ implements: ConversationEventBase, description: 'BOT, WAITING_AGENT, WITH_AGENT or CLOSED' })
export class ConversationStatusChanged extends ConversationEventBase {
  @Field(() => ConversationStatus)
  status!: ConversationStatus;

  @Field(() => ConversationStatus, { nullable: true })
  previousStatus!: ConversationStatus | null;
}

@ObjectType({ implements: ConversationEventBase, description: 'The bot moved: node_entered, handoff, ended, expired, error, ...' })
export class BotEvent extends ConversationEventBase {
  @Field()
  kind!: string;

  @Field(() => String, { nullable: true })
  nodeId!: string | null;

  @Field(() => String, { nullable: true, description: 'Why a handoff happened: node, invalid, loop_guard, error' })
  reason!: string | null;

  @Field(() => ID, { nullable: true })
  flowId!: string | null;

  @Field(() => Int, { nullable: true })
  flowVersion!: number | null;

  @Field(() => String, { nullable: true, description: 'The variable set (its name; values stay in the bot state)' })
  variable!: string | null;

  @Field(() => String, { nullable: true })
  message!: string | null;
}

@ObjectType({ implements: ConversationEventBase, description: "The 24-hour window closes within the hour: after it only templates can be sent" })
export class WindowClosingSoon extends ConversationEventBase {
  @Field(() => Date)
  expiresAt!: Date;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** A log entry as its GraphQL type; null for kinds the feed does not show. */
export function conversationEventView(event: ConversationDomainEvent): ConversationEventBase | null {
  const base = { cursor: event.cursor, conversationId: event.conversationId, at: new Date(event.at) };
  const data = event.data;
  const messageId = text(data.messageId) ?? '';
  switch (event.type) {
    case ConversationEventType.MESSAGE_RECEIVED:
      return Object.assign(new MessageReceived(), base, { graphqlType: 'MessageReceived', messageId });
    case ConversationEventType.MESSAGE_SENT:
      return Object.assign(new MessageSent(), base, { graphqlType: 'MessageSent', messageId, author: (text(data.author) as AuthorKind) ?? null });
    case ConversationEventType.MESSAGE_STATUS_CHANGED:
      return Object.assign(new MessageStatusChanged(), base, {
        graphqlType: 'MessageStatusChanged',
        messageId,
        messageStatus: text(data.status) as MessageStatus,
        errorCode: text(data.errorCode) || null,
      });
    case ConversationEventType.REACTION:
      return Object.assign(new MessageReaction(), base, { graphqlType: 'MessageReaction', emoji: text(data.emoji), targetWamid: text(data.targetWamid) ?? '' });
    case ConversationEventType.CONVERSATION_OPENED:
      return Object.assign(new ConversationOpened(), base, { graphqlType: 'ConversationOpened' });
    case ConversationEventType.ASSIGNED:
      return Object.assign(new ConversationAssigned(), base, {
        graphqlType: 'ConversationAssigned',
        assignedToId: text(data.userId),
        status: text(data.status) as ConversationStatus,
        previousStatus: (text(data.previous) as ConversationStatus) ?? null,
      });
    case ConversationEventType.STATUS_CHANGED:
      return Object.assign(new ConversationStatusChanged(), base, {
        graphqlType: 'ConversationStatusChanged',
        status: text(data.status) as ConversationStatus,
        previousStatus: (text(data.previous) as ConversationStatus) ?? null,
      });
    case ConversationEventType.BOT:
      return Object.assign(new BotEvent(), base, {
        graphqlType: 'BotEvent',
        kind: text(data.type) ?? 'unknown',
        nodeId: text(data.nodeId),
        reason: text(data.reason),
        flowId: text(data.flowId),
        flowVersion: typeof data.flowVersion === 'number' ? data.flowVersion : null,
        variable: text(data.name),
        message: text(data.message),
      });
    case ConversationEventType.WINDOW_CLOSING_SOON:
      return Object.assign(new WindowClosingSoon(), base, { graphqlType: 'WindowClosingSoon', expiresAt: new Date(text(data.expiresAt) ?? event.at) });
    default:
      return null;
  }
}

@InputType({ description: 'The filter of the conversations query that an agent list shows' })
export class InboxFilter {
  @Field(() => ConversationStatus, { nullable: true })
  status?: ConversationStatus | null;

  @Field(() => Boolean, { nullable: true, description: 'Only conversations assigned to the calling user' })
  assignedToMe?: boolean | null;

  @Field(() => ID, { nullable: true })
  channelId?: string | null;
}

@ObjectType({ description: 'A conversation entered, changed within, or left an inbox filter' })
export class InboxUpdate {
  @Field(() => InboxChange)
  change!: InboxChange;

  @Field(() => ID)
  conversationId!: string;

  @Field({ description: 'The conversation event that caused it' })
  cursor!: string;

  @Field(() => Date)
  at!: Date;
}

@ObjectType({ description: "Meta changed a template's status, quality or category" })
export class TemplateUpdate {
  @Field(() => ID)
  templateId!: string;

  @Field({ description: "Meta's webhook field: message_template_status_update, message_template_quality_update, template_category_update" })
  change!: string;

  @Field(() => String, { nullable: true })
  status!: string | null;

  @Field(() => String, { nullable: true })
  qualityScore!: string | null;

  @Field(() => String, { nullable: true })
  category!: string | null;

  @Field(() => String, { nullable: true })
  pendingCategory!: string | null;

  @Field(() => Date)
  at!: Date;
}

export const templateUpdateView = (event: TemplateDomainEvent): TemplateUpdate =>
  Object.assign(new TemplateUpdate(), {
    templateId: event.templateId,
    change: event.type,
    status: text(event.data.status),
    qualityScore: text(event.data.qualityScore),
    category: text(event.data.category),
    pendingCategory: text(event.data.pendingCategory),
    at: new Date(event.at),
  });

@ObjectType({ description: "Meta changed a phone number's quality, limits or account standing" })
export class ChannelUpdate {
  @Field(() => ID)
  channelId!: string;

  @Field({ description: "Meta's webhook field: phone_number_quality_update, account_update" })
  change!: string;

  @Field(() => QualityRating, { nullable: true })
  qualityRating!: QualityRating | null;

  @Field(() => MessagingLimitTier, { nullable: true })
  messagingLimitTier!: MessagingLimitTier | null;

  @Field(() => Int, { nullable: true })
  throughputPerSecond!: number | null;

  @Field(() => String, { nullable: true, description: 'The latest account event (restrictions, bans...): see channel.accountRestriction' })
  accountEvent!: string | null;

  @Field(() => Date)
  at!: Date;
}

export const channelUpdateView = (event: ChannelDomainEvent): ChannelUpdate =>
  Object.assign(new ChannelUpdate(), {
    channelId: event.channelId,
    change: event.type,
    qualityRating: text(event.data.qualityRating) as QualityRating | null,
    messagingLimitTier: text(event.data.messagingLimitTier) as MessagingLimitTier | null,
    throughputPerSecond: typeof event.data.throughputPerSecond === 'number' ? event.data.throughputPerSecond : null,
    accountEvent: text(event.data.accountEvent),
    at: new Date(event.at),
  });
