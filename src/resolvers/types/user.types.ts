import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { IsEmail, IsNotEmpty, MaxLength, MinLength } from 'class-validator';
import { User } from '../../entities/user.entity';
import { Role } from '../../domain/role';
import { Connection } from './connection.type';

@ObjectType()
export class UserConnection extends Connection(User) {}

@InputType()
export class InviteUserInput {
  @Field()
  @IsEmail()
  @MaxLength(320)
  email!: string;

  @Field()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @Field(() => Role)
  role!: Role;
}

@ObjectType()
export class InviteUserPayload {
  @Field(() => User)
  user!: User;

  @Field({ description: 'One-time token for acceptInvite, valid 7 days; shown only this once' })
  inviteToken!: string;
}

@InputType()
export class AcceptInviteInput {
  @Field()
  @IsNotEmpty()
  @MaxLength(200)
  token!: string;

  @Field()
  @MinLength(10, { message: 'password must be at least 10 characters' })
  @MaxLength(200)
  password!: string;
}

@InputType()
export class UpdateUserRoleInput {
  @Field(() => ID)
  id!: string;

  @Field(() => Role)
  role!: Role;
}

@InputType()
export class DeactivateUserInput {
  @Field(() => ID)
  id!: string;
}

@ObjectType()
export class UserPayload {
  @Field(() => User)
  user!: User;
}
