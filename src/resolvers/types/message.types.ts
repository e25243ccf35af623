import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { IsOptional, MaxLength } from 'class-validator';
import { Message, MessageDirection } from '../../entities/message.entity';
import { Connection } from './connection.type';

@ObjectType()
export class MessageConnection extends Connection(Message) {}

@InputType()
export class MessageFilter {
  @Field(() => String, { nullable: true, description: "Meta's message id" })
  @IsOptional()
  @MaxLength(255)
  wamid?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  conversationId?: string | null;

  @Field(() => MessageDirection, { nullable: true })
  @IsOptional()
  direction?: MessageDirection | null;
}
