import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { IsOptional } from 'class-validator';
import { Conversation, ConversationStatus } from '../../entities/conversation.entity';
import { Connection } from './connection.type';

@ObjectType({ description: "Meta's 24-hour customer-service window: free-form messages only while open" })
export class ServiceWindow {
  @Field()
  isOpen!: boolean;

  @Field(() => Date, { nullable: true, description: "24 h after the customer's latest message" })
  expiresAt!: Date | null;
}

@ObjectType()
export class ConversationConnection extends Connection(Conversation) {}

@InputType()
export class ConversationFilter {
  @Field(() => ConversationStatus, { nullable: true })
  @IsOptional()
  status?: ConversationStatus | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  channelId?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  contactId?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Only conversations assigned to the calling user' })
  @IsOptional()
  assignedToMe?: boolean | null;
}
