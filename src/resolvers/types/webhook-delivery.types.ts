import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ArrayMaxSize, IsOptional } from 'class-validator';
import { GraphQLJSON } from 'graphql-scalars';
import { DeliveryStatus } from '../../entities/webhook-delivery.entity';
import { Connection } from './connection.type';

registerEnumType(DeliveryStatus, { name: 'WebhookDeliveryStatus' });

@ObjectType('WebhookDelivery', { description: 'A POST from Meta as stored in the durable inbox (operators only)' })
export class WebhookDeliveryView {
  @Field(() => ID)
  id!: string;

  @Field()
  receivedAt!: Date;

  @Field(() => DeliveryStatus)
  status!: DeliveryStatus;

  @Field(() => Date, { nullable: true })
  processedAt!: Date | null;

  @Field(() => Int)
  attempts!: number;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'Items ignored or quarantined, with reasons' })
  issues!: unknown;

  @Field({ description: 'The raw body Meta signed' })
  rawBody!: string;
}

@ObjectType()
export class WebhookDeliveryConnection extends Connection(WebhookDeliveryView) {}

@InputType()
export class ReplayWebhookDeliveriesInput {
  @Field(() => [ID], { nullable: true, description: 'Deliveries to process again' })
  @IsOptional()
  @ArrayMaxSize(1000)
  ids?: string[] | null;

  @Field(() => Boolean, { nullable: true, description: 'Also every FAILED delivery (up to 1,000)' })
  @IsOptional()
  allFailed?: boolean | null;
}

@ObjectType()
export class ReplayWebhookDeliveriesPayload {
  @Field(() => Int)
  replayed!: number;
}
