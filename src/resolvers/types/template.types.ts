import { Field, InputType, ObjectType } from 'type-graphql';
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
