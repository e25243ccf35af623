import { Arg, Args, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../auth/context';
import { Conversation } from '../entities/conversation.entity';
import { Message } from '../entities/message.entity';
import { listMessages } from '../services/conversation-read.service';
import { memberScope } from './member-scope';
import { MessageConnection, MessageFilter } from './types/message.types';
import { PageArgs } from './types/page.args';

@Resolver(() => Message)
export class MessageResolver {
  @Authorized()
  @Query(() => MessageConnection, { description: 'Messages, newest first' })
  messages(
    @Arg('filter', () => MessageFilter, { nullable: true }) filter: MessageFilter | null,
    @Args() page: PageArgs,
    @Ctx() ctx: GraphQLContext,
  ) {
    return listMessages(memberScope(ctx), filter ?? {}, page);
  }

  @FieldResolver(() => Conversation)
  conversation(@Root() message: Message, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.conversation.load(message.conversation.id);
  }
}
