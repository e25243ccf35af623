import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Flow } from '../entities/flow.entity';
import type { GraphQLContext } from '../auth/context';
import { Channel } from '../entities/channel.entity';
import { Role } from '../domain/role';
import { createChannel, getChannel, listChannels, updateChannel } from '../services/channel.service';
import { memberScope } from './member-scope';
import { ChannelConnection, ChannelPayload, CreateChannelInput, UpdateChannelInput } from './types/channel.types';
import { PageArgs } from './types/page.args';

@Resolver(() => Channel)
export class ChannelResolver {
  @Authorized()
  @Query(() => ChannelConnection, { description: 'WhatsApp phone numbers of the organization' })
  channels(@Args() page: PageArgs, @Ctx() ctx: GraphQLContext) {
    return listChannels(memberScope(ctx), page);
  }

  @Authorized()
  @Query(() => Channel, { description: 'NOT_FOUND unless the channel belongs to your organization' })
  channel(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return getChannel(memberScope(ctx), id);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => ChannelPayload, { description: 'Registers a WhatsApp phone number' })
  async createChannel(@Arg('input') input: CreateChannelInput, @Ctx() ctx: GraphQLContext) {
    return { channel: await createChannel(memberScope(ctx), ctx.deps.secrets, input) };
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => ChannelPayload)
  async updateChannel(@Arg('input') input: UpdateChannelInput, @Ctx() ctx: GraphQLContext) {
    const { id, ...patch } = input;
    return { channel: await updateChannel(memberScope(ctx), ctx.deps.secrets, id, patch) };
  }

  @FieldResolver(() => Flow, { nullable: true, description: 'The flow new conversations start on' })
  defaultFlow(@Root() channel: Channel, @Ctx() ctx: GraphQLContext) {
    return channel.defaultFlow ? ctx.loaders.flow.load(channel.defaultFlow.id) : null;
  }
}
