import { Arg, Args, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../auth/context';
import { transcriptPage } from '../../services/analytics/transcript/transcript.service';
import { memberScope } from '../member-scope';
import { PageArgs } from '../types/page.args';
import { TranscriptConnection } from '../types/analytics/transcript.types';

@Resolver()
export class TranscriptResolver {
  @Authorized()
  @Query(() => TranscriptConnection, {
    description:
      'A conversation from its event log, oldest first: messages, bot steps, handoffs, assignments, status changes and message status changes. ' +
      'Also as JSON lines: GET /analytics/conversations/{id}/transcript.jsonl',
  })
  conversationTranscript(@Arg('conversationId', () => ID) conversationId: string, @Args() page: PageArgs, @Ctx() ctx: GraphQLContext) {
    return transcriptPage(memberScope(ctx), conversationId, page);
  }
}
