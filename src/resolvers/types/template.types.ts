import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { IsOptional, MaxLength } from 'class-validator';
import { Template } from '../../entities/template.entity';
import { Connection } from './connection.type';

@ObjectType()
export class TemplateConnection extends Connection(Template) {}

@InputType()
export class TemplateFilter {
  @Field(() => String, { nullable: true, description: 'APPROVED, PENDING, REJECTED, PAUSED, ...' })
  @IsOptional()
  @MaxLength(32)
  status?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(32)
  category?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(32)
  language?: string | null;

  @Field(() => String, { nullable: true, description: 'Exact template name' })
  @IsOptional()
  @MaxLength(512)
  name?: string | null;
}

@InputType()
export class CreateTemplateInput {
  @Field(() => ID, { description: "The channel whose WhatsApp Business Account gets the template" })
  channelId!: string;

  @Field({ description: 'a-z, 0-9 and _, up to 512 characters' })
  name!: string;

  @Field({ description: 'e.g. en, en_US, pt_BR' })
  language!: string;

  @Field({ description: 'MARKETING, UTILITY or AUTHENTICATION' })
  category!: string;

  @Field(() => String, { nullable: true, description: 'POSITIONAL ({{1}}) or NAMED ({{first_name}}); inferred when omitted' })
  parameterFormat?: 'POSITIONAL' | 'NAMED' | null;

  @Field(() => GraphQLJSON, { description: "Meta's component objects: HEADER, BODY, FOOTER, BUTTONS, with examples" })
  components!: unknown;
}

@ObjectType()
export class TemplatePayload {
  @Field(() => Template)
  template!: Template;
}

@InputType()
export class TemplateIdInput {
  @Field(() => ID)
  templateId!: string;
}

@InputType()
export class SyncTemplatesInput {
  @Field(() => ID)
  channelId!: string;
}

@ObjectType()
export class SyncTemplatesPayload {
  @Field({ description: 'The sync runs as a job; templates and templateUpdates show its result' })
  queued!: boolean;
}
