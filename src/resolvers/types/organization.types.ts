import { Field, InputType, ObjectType } from 'type-graphql';
import { IsNotEmpty, IsOptional, IsTimeZone, MaxLength } from 'class-validator';
import { Organization } from '../../entities/organization.entity';
import { ApiKey } from '../../entities/api-key.entity';
import { User } from '../../entities/user.entity';
import { Role } from '../../domain/role';

@InputType()
export class CreateOrganizationInput {
  @Field()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @Field(() => String, { nullable: true, description: 'IANA time zone for reports (default UTC)' })
  @IsOptional()
  @IsTimeZone()
  timezone?: string | null;
}

@ObjectType()
export class CreateOrganizationPayload {
  @Field(() => Organization)
  organization!: Organization;

  @Field(() => ApiKey, { description: 'The first OWNER key' })
  apiKey!: ApiKey;

  @Field({ description: 'The API key secret; shown only this once' })
  secret!: string;
}

@ObjectType({ description: 'The caller: their organization and role' })
export class ViewerInfo {
  @Field(() => Organization, { nullable: true, description: 'Null for the platform operator' })
  organization!: Organization | null;

  @Field(() => Role, { nullable: true, description: 'Null for the platform operator' })
  role!: Role | null;

  @Field(() => User, { nullable: true, description: 'The person acting, if known' })
  user!: User | null;

  @Field(() => ApiKey, { nullable: true, description: 'The API key used, if any' })
  apiKey!: ApiKey | null;

  @Field()
  isOperator!: boolean;
}
