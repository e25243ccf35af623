import { Arg, Args, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../auth/context';
import { Contact } from '../entities/contact.entity';
import { getContact, listContacts } from '../services/conversation-read.service';
import { memberScope } from './member-scope';
import { ContactConnection, ContactFilter } from './types/contact.types';
import { PageArgs } from './types/page.args';

@Resolver(() => Contact)
export class ContactResolver {
  @Authorized()
  @Query(() => ContactConnection)
  contacts(
    @Arg('filter', () => ContactFilter, { nullable: true }) filter: ContactFilter | null,
    @Args() page: PageArgs,
    @Ctx() ctx: GraphQLContext,
  ) {
    return listContacts(memberScope(ctx), filter ?? {}, page);
  }

  @Authorized()
  @Query(() => Contact)
  contact(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return getContact(memberScope(ctx), id);
  }
}
