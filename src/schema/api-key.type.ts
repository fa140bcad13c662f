import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Connection } from './connection.type';
import { ApiKeyScope, Role } from './enums';

@ObjectType({ description: 'A credential for partners and scripts; its secret is never shown again' })
export class ApiKey {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field({ description: 'The public part of the key (vgk_<prefix>_…), to recognise it' })
  prefix!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => [ApiKeyScope], {
    description: 'Rights beyond the role: REVIEW claims and decides review items',
  })
  scopes!: ApiKeyScope[];

  @Field(() => Date, { nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;

  @Field()
  createdAt!: Date;

  @Field(() => ID, {
    nullable: true,
    description:
      'The person who created the key; the key is revoked when they are deleted, disabled or no longer an admin',
  })
  createdByUserId!: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'The API key that created this key; revoking that key revokes this one',
  })
  createdByApiKeyId!: string | null;
}

@ObjectType()
export class ApiKeyConnection extends Connection(ApiKey, 'ApiKey') {}

@InputType()
export class CreateApiKeyInput {
  @Field()
  name!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => [ApiKeyScope], {
    nullable: true,
    description: 'Rights beyond the role (none when omitted). REVIEW needs an ADMIN or MODERATOR key',
  })
  scopes?: ApiKeyScope[] | null;
}

@ObjectType()
export class CreateApiKeyPayload {
  @Field(() => ApiKey)
  apiKey!: ApiKey;

  @Field({ description: 'The whole key. Shown only now: store it safely' })
  secret!: string;
}
