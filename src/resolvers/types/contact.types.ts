import { Field, InputType, ObjectType } from 'type-graphql';
import { IsOptional, MaxLength } from 'class-validator';
import { Contact } from '../../entities/contact.entity';
import { Connection } from './connection.type';

@ObjectType()
export class ContactConnection extends Connection(Contact) {}

@InputType()
export class ContactFilter {
  @Field(() => String, { nullable: true, description: 'Exact WhatsApp id' })
  @IsOptional()
  @MaxLength(64)
  waId?: string | null;

  @Field(() => String, { nullable: true, description: 'Part of the profile name, any case' })
  @IsOptional()
  @MaxLength(200)
  name?: string | null;
}
