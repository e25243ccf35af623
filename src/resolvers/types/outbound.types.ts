import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Conversation } from '../../entities/conversation.entity';
import { Message } from '../../entities/message.entity';

export enum MediaKindInput {
  IMAGE = 'image',
  VIDEO = 'video',
  AUDIO = 'audio',
  DOCUMENT = 'document',
  STICKER = 'sticker',
}

registerEnumType(MediaKindInput, { name: 'MediaKind' });

// Lengths and counts are checked by domain/outbound-limits.ts, which names the offending field.

@InputType()
export class ReplyButtonInput {
  @Field({ description: 'Returned in the reply; up to 256 characters' })
  id!: string;

  @Field({ description: 'Up to 20 characters, unique within the message' })
  title!: string;
}

@InputType()
export class ListRowInput {
  @Field()
  id!: string;

  @Field({ description: 'Up to 24 characters' })
  title!: string;

  @Field(() => String, { nullable: true, description: 'Up to 72 characters' })
  description?: string | null;
}

@InputType()
export class ListSectionInput {
  @Field(() => String, { nullable: true })
  title?: string | null;

  @Field(() => [ListRowInput])
  rows!: ListRowInput[];
}

@InputType()
export class ListInput {
  @Field({ description: 'Label of the button that opens the list; up to 20 characters' })
  button!: string;

  @Field(() => [ListSectionInput], { description: 'Up to 10 sections and 10 rows in all' })
  sections!: ListSectionInput[];
}

@InputType()
export class MediaInput {
  @Field(() => MediaKindInput)
  kind!: MediaKindInput;

  @Field(() => String, { nullable: true, description: 'https URL of the file (or give id)' })
  link?: string | null;

  @Field(() => String, { nullable: true, description: 'Id of media uploaded to Meta (or give link)' })
  id?: string | null;

  @Field(() => String, { nullable: true })
  caption?: string | null;

  @Field(() => String, { nullable: true, description: 'Documents only' })
  filename?: string | null;
}

@InputType({ description: 'Text, or text with up to 3 buttons or a list, or media' })
export class SendMessageInput {
  @Field(() => ID)
  conversationId!: string;

  @Field(() => String, { nullable: true, description: 'The message, or the body above buttons or a list; up to 4,096 characters' })
  text?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Show a preview of the first URL in text' })
  previewUrl?: boolean | null;

  @Field(() => [ReplyButtonInput], { nullable: true })
  buttons?: ReplyButtonInput[] | null;

  @Field(() => ListInput, { nullable: true })
  list?: ListInput | null;

  @Field(() => MediaInput, { nullable: true })
  media?: MediaInput | null;

  @Field(() => String, { nullable: true, description: 'Header text above buttons or a list' })
  header?: string | null;

  @Field(() => String, { nullable: true, description: 'Footer text below buttons or a list' })
  footer?: string | null;

  @Field(() => String, { nullable: true, description: 'wamid of the message this one replies to' })
  replyToWamid?: string | null;
}

@InputType()
export class SendTemplateInput {
  @Field(() => ID)
  channelId!: string;

  @Field({ description: 'Recipient phone number with country code, e.g. +5511999990001' })
  to!: string;

  @Field(() => ID)
  templateId!: string;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: '{ header?: [text] or { link | id }, body?: [values in order] or { name: value }, buttons?: [value per button, by position] }',
  })
  parameters?: Record<string, unknown> | null;
}

@ObjectType()
export class MessagePayload {
  @Field(() => Message)
  message!: Message;
}

@InputType()
export class ConversationInput {
  @Field(() => ID)
  conversationId!: string;
}

@InputType()
export class AssignConversationInput {
  @Field(() => ID)
  conversationId!: string;

  @Field(() => ID, { nullable: true, description: 'The member to assign; null unassigns' })
  userId?: string | null;
}

@ObjectType()
export class ConversationPayload {
  @Field(() => Conversation)
  conversation!: Conversation;
}

@InputType()
export class MarkReadInput {
  @Field(() => ID, { description: 'An inbound message' })
  messageId!: string;
}
