import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ConversationStatus } from '../../../entities/conversation.entity';
import { AuthorKind, MessageDirection, MessageType } from '../../../entities/message.entity';
import { MessageStatus } from '../../../domain/message-status';
import { TranscriptActorKind, TranscriptEntryKind } from '../../../services/analytics/transcript/transcript-entry';
import { Connection } from '../connection.type';

registerEnumType(TranscriptEntryKind, {
  name: 'TranscriptEntryKind',
  description: 'What a transcript entry records',
  valuesConfig: {
    MESSAGE: { description: 'A message from the customer, the bot, an agent or the API' },
    MESSAGE_STATUS: { description: 'An outbound message moved on: SENT, DELIVERED, READ, FAILED' },
    REACTION: { description: 'The customer reacted to a message' },
    BOT_STEP: { description: 'A bot step: node entered, variable set, validation failed, retried, ended, expired, error' },
    HANDOFF: { description: 'The bot handed off (bot is set), or a member took the conversation from the bot (status is set)' },
    ASSIGNMENT: { description: 'Assigned to an agent, or unassigned' },
    STATUS_CHANGE: { description: 'The conversation moved between BOT, WAITING_AGENT, WITH_AGENT and CLOSED' },
    CONVERSATION_OPENED: { description: 'The conversation started' },
    WINDOW_CLOSING_SOON: { description: 'The 24-hour window closes within the hour' },
    ERROR: { description: 'An error recorded in the log' },
  },
});
registerEnumType(TranscriptActorKind, { name: 'TranscriptActorKind', description: 'Who changed a status or an assignment' });

@ObjectType({ description: 'A member named in a transcript' })
export class TranscriptPerson {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  email!: string;
}

@ObjectType({ description: 'Who changed a status or an assignment' })
export class TranscriptActor {
  @Field(() => TranscriptActorKind)
  kind!: TranscriptActorKind;

  @Field(() => ID, { nullable: true, description: 'The member or API key id' })
  id!: string | null;

  @Field(() => String, { nullable: true, description: "The member's or the API key's name" })
  name!: string | null;

  @Field(() => String, { nullable: true })
  email!: string | null;
}

@ObjectType({ description: 'The message a transcript entry is about, as it is now' })
export class TranscriptMessage {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  wamid!: string | null;

  @Field(() => MessageDirection)
  direction!: MessageDirection;

  @Field(() => MessageType)
  type!: MessageType;

  @Field(() => String, { nullable: true, description: 'Body, caption or template name' })
  text!: string | null;

  @Field(() => MessageStatus, { description: 'The latest status' })
  status!: MessageStatus;

  @Field(() => AuthorKind)
  author!: AuthorKind;

  @Field(() => TranscriptPerson, { nullable: true, description: 'The member who wrote it (agent messages)' })
  authorUser!: TranscriptPerson | null;

  @Field(() => String, { nullable: true })
  errorCode!: string | null;

  @Field(() => String, { nullable: true })
  errorTitle!: string | null;

  @Field(() => String, { nullable: true, description: 'The flow node that sent it (bot messages)' })
  flowNodeId!: string | null;
}

@ObjectType({ description: 'A step of the bot' })
export class TranscriptBotStep {
  @Field({ description: 'node_entered, variable_set, validation_failed, retried, handoff, ended, expired or error' })
  step!: string;

  @Field(() => ID, { nullable: true })
  flowId!: string | null;

  @Field(() => Int, { nullable: true })
  flowVersion!: number | null;

  @Field(() => String, { nullable: true })
  nodeId!: string | null;

  @Field(() => String, { nullable: true, description: 'handoff: node, invalid, loop_guard, error' })
  reason!: string | null;

  @Field(() => Int, { nullable: true, description: 'validation_failed: attempts so far' })
  attempts!: number | null;

  @Field(() => String, { nullable: true, description: "variable_set: the variable's name (values stay in the bot state)" })
  variable!: string | null;

  @Field(() => String, { nullable: true, description: 'error: what went wrong' })
  error!: string | null;
}

@ObjectType({ description: 'One entry of a conversation transcript: one event of its log' })
export class TranscriptEntry {
  @Field({ description: 'The event id: pass it as `after` for the entries that follow' })
  cursor!: string;

  @Field()
  at!: Date;

  @Field(() => TranscriptEntryKind)
  kind!: TranscriptEntryKind;

  @Field({ description: 'One readable line: who did what' })
  summary!: string;

  @Field(() => TranscriptMessage, { nullable: true, description: 'MESSAGE and MESSAGE_STATUS' })
  message!: TranscriptMessage | null;

  @Field(() => MessageStatus, { nullable: true, description: 'MESSAGE_STATUS: the status this event set' })
  messageStatus!: MessageStatus | null;

  @Field(() => String, { nullable: true, description: "MESSAGE_STATUS FAILED: Meta's error code; ERROR: its code" })
  errorCode!: string | null;

  @Field(() => String, { nullable: true, description: "MESSAGE_STATUS FAILED: Meta's error title" })
  errorTitle!: string | null;

  @Field(() => String, { nullable: true, description: 'REACTION: the emoji (null: reaction removed)' })
  emoji!: string | null;

  @Field(() => String, { nullable: true, description: 'REACTION: wamid of the message reacted to' })
  targetWamid!: string | null;

  @Field(() => TranscriptBotStep, { nullable: true, description: 'BOT_STEP and the bot’s HANDOFF' })
  bot!: TranscriptBotStep | null;

  @Field(() => ConversationStatus, { nullable: true, description: 'STATUS_CHANGE, ASSIGNMENT, a member’s HANDOFF: the status after' })
  status!: ConversationStatus | null;

  @Field(() => ConversationStatus, { nullable: true })
  previousStatus!: ConversationStatus | null;

  @Field(() => TranscriptPerson, { nullable: true, description: 'ASSIGNMENT: the member assigned (null: unassigned)' })
  agent!: TranscriptPerson | null;

  @Field(() => TranscriptActor, { nullable: true, description: 'STATUS_CHANGE, ASSIGNMENT, HANDOFF: who did it' })
  by!: TranscriptActor | null;
}

@ObjectType({ description: 'A page of a conversation transcript, oldest first' })
export class TranscriptConnection extends Connection(TranscriptEntry) {}
