import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../auth/context';
import { badInput } from '../domain/errors';
import type { OutboundContent } from '../domain/outbound-limits';
import { Role } from '../domain/role';
import * as actions from '../services/conversation-actions.service';
import { sendMessage } from '../services/outbound/send-message.service';
import { sendTemplate } from '../services/outbound/send-template.service';
import { memberScope } from './member-scope';
import {
  AssignConversationInput,
  ConversationInput,
  ConversationPayload,
  MarkReadInput,
  MessagePayload,
  SendMessageInput,
  SendTemplateInput,
} from './types/outbound.types';

const orUndefined = <T>(value: T | null | undefined) => value ?? undefined;

/** The GraphQL input as one of the domain's content kinds (which then checks every limit). */
function contentOf(input: SendMessageInput): OutboundContent {
  if (input.buttons && input.list) throw badInput('buttons', 'Send either buttons or a list, not both');
  if (input.media && (input.buttons || input.list)) throw badInput('media', 'Media cannot carry buttons or a list');
  if (input.media) {
    const { kind, link, id, caption, filename } = input.media;
    return { kind: 'media', mediaKind: kind, link: orUndefined(link), id: orUndefined(id), caption: orUndefined(caption ?? input.text), filename: orUndefined(filename) };
  }
  const decoration = { header: orUndefined(input.header), footer: orUndefined(input.footer) };
  if (input.buttons) return { kind: 'buttons', text: input.text ?? '', buttons: input.buttons, ...decoration };
  if (input.list) {
    return {
      kind: 'list',
      text: input.text ?? '',
      button: input.list.button,
      sections: input.list.sections.map((section) => ({
        title: orUndefined(section.title),
        rows: section.rows.map((row) => ({ id: row.id, title: row.title, description: orUndefined(row.description) })),
      })),
      ...decoration,
    };
  }
  return { kind: 'text', text: input.text ?? '', previewUrl: orUndefined(input.previewUrl) };
}

@Resolver()
export class OutboundResolver {
  @Authorized(Role.AGENT)
  @Mutation(() => MessagePayload, { description: 'A free-form message; refused with WINDOW_CLOSED outside the 24-hour window' })
  async sendMessage(@Arg('input') input: SendMessageInput, @Ctx() ctx: GraphQLContext) {
    const content = contentOf(input);
    return { message: await sendMessage(memberScope(ctx), ctx.deps, { conversationId: input.conversationId, content, replyToWamid: input.replyToWamid }) };
  }

  @Authorized(Role.AGENT)
  @Mutation(() => MessagePayload, { description: 'An APPROVED template, at any time; opens the conversation when there is none' })
  async sendTemplate(@Arg('input') input: SendTemplateInput, @Ctx() ctx: GraphQLContext) {
    return { message: await sendTemplate(memberScope(ctx), ctx.deps, input) };
  }

  @Authorized(Role.AGENT)
  @Mutation(() => MessagePayload, { description: "Sends a read receipt for the customer's message" })
  async markRead(@Arg('input') input: MarkReadInput, @Ctx() ctx: GraphQLContext) {
    return { message: await actions.markRead(memberScope(ctx), ctx.deps, input.messageId) };
  }

  @Authorized(Role.AGENT)
  @Mutation(() => ConversationPayload, { description: 'Assigns to a member (agents: themselves), or unassigns with userId null' })
  async assignConversation(@Arg('input') input: AssignConversationInput, @Ctx() ctx: GraphQLContext) {
    return { conversation: await actions.assignConversation(memberScope(ctx), ctx.deps, input.conversationId, input.userId ?? null) };
  }

  @Authorized(Role.AGENT)
  @Mutation(() => ConversationPayload, { description: 'Stops the bot; the conversation waits for (or stays with) an agent' })
  async handoffToAgent(@Arg('input') input: ConversationInput, @Ctx() ctx: GraphQLContext) {
    return { conversation: await actions.handoffToAgent(memberScope(ctx), ctx.deps, input.conversationId) };
  }

  @Authorized(Role.AGENT)
  @Mutation(() => ConversationPayload, { description: 'Gives the conversation back to the bot' })
  async returnToBot(@Arg('input') input: ConversationInput, @Ctx() ctx: GraphQLContext) {
    return { conversation: await actions.returnToBot(memberScope(ctx), ctx.deps, input.conversationId) };
  }

  @Authorized(Role.AGENT)
  @Mutation(() => ConversationPayload)
  async closeConversation(@Arg('input') input: ConversationInput, @Ctx() ctx: GraphQLContext) {
    return { conversation: await actions.closeConversation(memberScope(ctx), ctx.deps, input.conversationId) };
  }

  @Authorized(Role.AGENT)
  @Mutation(() => ConversationPayload)
  async reopenConversation(@Arg('input') input: ConversationInput, @Ctx() ctx: GraphQLContext) {
    return { conversation: await actions.reopenConversation(memberScope(ctx), ctx.deps, input.conversationId) };
  }
}
