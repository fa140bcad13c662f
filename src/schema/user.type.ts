import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Connection } from './connection.type';
import { Role } from './enums';

@ObjectType()
export class User {
  @Field(() => ID)
  id!: string;

  @Field()
  email!: string;

  @Field(() => Role)
  role!: Role;

  @Field()
  isPlatformAdmin!: boolean;

  @Field(() => Date, { nullable: true })
  disabledAt!: Date | null;

  @Field({ description: 'An admin reset the password: the next login may only change it' })
  passwordChangeRequired!: boolean;

  @Field(() => Date, { nullable: true, description: 'When the password was last changed or reset' })
  passwordChangedAt!: Date | null;

  @Field()
  createdAt!: Date;
}

@ObjectType()
export class UserConnection extends Connection(User, 'User') {}

@InputType()
export class CreateUserInput {
  @Field()
  email!: string;

  @Field(() => Role)
  role!: Role;

  @Field({
    nullable: true,
    description: 'At least 12 characters; omit to have one generated and returned once',
  })
  password?: string;
}

@InputType()
export class UpdateUserInput {
  @Field(() => Role, { nullable: true })
  role?: Role;

  @Field({ nullable: true, description: 'A disabled user cannot log in; their sessions end at once' })
  disabled?: boolean;
}

@ObjectType()
export class CreateUserPayload {
  @Field(() => User)
  user!: User;

  @Field(() => String, { nullable: true, description: 'The generated password, shown only now' })
  initialPassword!: string | null;
}

@ObjectType()
export class ResetUserPasswordPayload {
  @Field(() => User)
  user!: User;

  @Field({
    description:
      'The temporary password, shown only now: the user logs in with it and must then choose their own',
  })
  temporaryPassword!: string;
}

@InputType()
export class LoginInput {
  @Field()
  tenantSlug!: string;

  @Field()
  email!: string;

  @Field()
  password!: string;
}

@ObjectType()
export class LoginPayload {
  @Field({ description: 'Send as `Authorization: Bearer <token>`' })
  token!: string;

  @Field()
  expiresAt!: Date;

  @Field(() => User)
  user!: User;

  @Field({
    description:
      'True after an admin reset the password: the session may only call changePassword (and me, logout), which answers a full session; it expires within minutes',
  })
  passwordChangeRequired!: boolean;
}
