import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Connection } from './connection.type';

@ObjectType({ description: 'One recorded change; append-only' })
export class AuditEvent {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'user, apiKey or operator' })
  actorType!: string;

  @Field(() => String, { nullable: true })
  actorId!: string | null;

  @Field()
  action!: string;

  @Field()
  entityType!: string;

  @Field(() => String, { nullable: true })
  entityId!: string | null;

  @Field(() => GraphQLJSON)
  data!: unknown;

  @Field()
  createdAt!: Date;
}

@ObjectType()
export class AuditEventConnection extends Connection(AuditEvent, 'AuditEvent') {}

@InputType()
export class AuditEventFilter {
  @Field({ nullable: true })
  entityType?: string;

  @Field({ nullable: true })
  entityId?: string;

  @Field({ nullable: true })
  action?: string;
}
