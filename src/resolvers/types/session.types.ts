import { Field, InputType, ObjectType } from 'type-graphql';
import { IsNotEmpty, MaxLength } from 'class-validator';
import { User } from '../../entities/user.entity';

@InputType()
export class LoginInput {
  @Field()
  @IsNotEmpty()
  @MaxLength(320)
  email!: string;

  @Field()
  @IsNotEmpty()
  @MaxLength(200)
  password!: string;
}

@InputType()
export class RefreshTokenInput {
  @Field()
  @IsNotEmpty()
  @MaxLength(200)
  refreshToken!: string;
}

@ObjectType({ description: 'A signed-in session' })
export class SessionPayload {
  @Field({ description: 'Short-lived access token (JWT) for Authorization: Bearer' })
  token!: string;

  @Field()
  expiresAt!: Date;

  @Field({ description: 'Long-lived, single-use token for refreshToken' })
  refreshToken!: string;

  @Field(() => User)
  user!: User;
}

@ObjectType()
export class LogoutPayload {
  @Field()
  success!: boolean;
}
