import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../auth/context';
import { Channel } from '../entities/channel.entity';
import { Contact } from '../entities/contact.entity';
import { Conversation } from '../entities/conversation.entity';
import { Message } from '../entities/message.entity';
import { User } from '../entities/user.entity';
import { serviceWindow } from '../domain/window-policy';
import { getConversation, listConversations, listMessages } from '../services/conversation-read.service';
import { memberScope } from './member-scope';
import { ConversationConnection, ConversationFilter, ServiceWindow } from './types/conversation.types';
import { MessageConnection } from './types/message.types';
import { PageArgs } from './types/page.args';

@Resolver(() => Conversation)
export class ConversationResolver {
  @Authorized()
  @Query(() => ConversationConnection, { description: 'The inbox, most recent activity first' })
  conversations(
    @Arg('filter', () => ConversationFilter, { nullable: true }) filter: ConversationFilter | null,
    @Args() page: PageArgs,
    @Ctx() ctx: GraphQLContext,
  ) {
    return listConversations(memberScope(ctx), filter ?? {}, page);
  }

  @Authorized()
  @Query(() => Conversation)
  conversation(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return getConversation(memberScope(ctx), id);
  }

  @FieldResolver(() => Contact)
  async contact(@Root() conversation: Conversation, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.contact.load(conversation.contact.id);
  }

  @FieldResolver(() => Channel)
  async channel(@Root() conversation: Conversation, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.channel.load(conversation.channel.id);
  }

  @FieldResolver(() => User, { nullable: true, description: 'The agent handling it' })
  async assignedTo(@Root() conversation: Conversation, @Ctx() ctx: GraphQLContext) {
    return conversation.assignedTo ? ctx.loaders.user.load(conversation.assignedTo.id) : null;
  }

  @FieldResolver(() => Message, { nullable: true })
  async lastMessage(@Root() conversation: Conversation, @Ctx() ctx: GraphQLContext) {
    return conversation.lastMessageId ? ctx.loaders.message.load(conversation.lastMessageId) : null;
  }

  @FieldResolver(() => ServiceWindow)
  window(@Root() conversation: Conversation): ServiceWindow {
    return serviceWindow(conversation.lastInboundAt);
  }

  @FieldResolver(() => MessageConnection, { description: 'Newest first' })
  messages(@Root() conversation: Conversation, @Args() page: PageArgs, @Ctx() ctx: GraphQLContext) {
    return listMessages(memberScope(ctx), { conversationId: conversation.id }, page);
  }
}
