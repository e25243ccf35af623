import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { IsNotEmpty, IsOptional, Matches, Max, MaxLength, Min } from 'class-validator';
import { Channel } from '../../entities/channel.entity';
import { Connection } from './connection.type';

@ObjectType()
export class ChannelConnection extends Connection(Channel) {}

const META_ID = /^\d{1,64}$/;
const DISPLAY_NUMBER = /^\+?[\d\s().-]{5,32}$/;

@InputType()
export class CreateChannelInput {
  @Field({ description: "Meta's phone_number_id (digits)" })
  @Matches(META_ID, { message: 'phoneNumberId must be the digits of Meta\'s phone_number_id' })
  phoneNumberId!: string;

  @Field({ description: 'WhatsApp Business Account id (digits)' })
  @Matches(META_ID, { message: 'wabaId must be the digits of the WhatsApp Business Account id' })
  wabaId!: string;

  @Field()
  @Matches(DISPLAY_NUMBER, { message: 'displayPhoneNumber must be a phone number' })
  displayPhoneNumber!: string;

  @Field({ description: 'Graph API access token; stored encrypted and never returned' })
  @IsNotEmpty()
  @MaxLength(4096)
  accessToken!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(200)
  name?: string | null;

  @Field(() => Int, { nullable: true, description: 'Messages a second Meta allows (default 80)' })
  @IsOptional()
  @Min(1)
  @Max(1000)
  throughputPerSecond?: number | null;
}

@InputType()
export class UpdateChannelInput {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(META_ID, { message: 'wabaId must be the digits of the WhatsApp Business Account id' })
  wabaId?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(DISPLAY_NUMBER, { message: 'displayPhoneNumber must be a phone number' })
  displayPhoneNumber?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsNotEmpty()
  @MaxLength(4096)
  accessToken?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(200)
  name?: string | null;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @Min(1)
  @Max(1000)
  throughputPerSecond?: number | null;

  @Field(() => ID, { nullable: true, description: 'Published flow new conversations start on; null clears it' })
  @IsOptional()
  defaultFlowId?: string | null;
}

@ObjectType()
export class ChannelPayload {
  @Field(() => Channel)
  channel!: Channel;
}
