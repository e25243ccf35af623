import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { IsNotEmpty, IsOptional, MaxLength } from 'class-validator';
import { ApiKey } from '../../entities/api-key.entity';
import { Role } from '../../domain/role';
import { Connection } from './connection.type';

@ObjectType()
export class ApiKeyConnection extends Connection(ApiKey) {}

@InputType()
export class CreateApiKeyInput {
  @Field()
  @IsNotEmpty()
  @MaxLength(100)
  name!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => ID, { nullable: true, description: 'A member this key acts for' })
  @IsOptional()
  userId?: string | null;
}

@ObjectType()
export class CreateApiKeyPayload {
  @Field(() => ApiKey)
  apiKey!: ApiKey;

  @Field({ description: 'The secret; shown only this once' })
  secret!: string;
}

@InputType()
export class RevokeApiKeyInput {
  @Field(() => ID)
  id!: string;
}

@ObjectType()
export class RevokeApiKeyPayload {
  @Field(() => ApiKey)
  apiKey!: ApiKey;
}
