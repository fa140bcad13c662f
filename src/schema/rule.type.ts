import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Connection } from './connection.type';

@ObjectType({ description: 'Turns analysis results into review items, alerts or webhooks' })
export class Rule {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  enabled!: boolean;

  @Field(() => GraphQLJSONObject, { description: 'The condition, in the rule language (see README)' })
  condition!: Record<string, unknown>;

  @Field(() => GraphQLJSONObject, { description: 'What happens when the condition holds' })
  action!: Record<string, unknown>;

  @Field(() => Int, { description: 'Higher runs first' })
  priority!: number;

  @Field(() => Int, {
    description: 'Seconds after firing during which the rule does not fire again on a stream',
  })
  cooldownSeconds!: number;

  @Field(() => String, {
    nullable: true,
    description:
      'Why the rule failed the last time it ran on a result (the others ran regardless); null once a change to its condition or action is saved or it runs cleanly',
  })
  lastError!: string | null;

  @Field(() => Date, { nullable: true })
  lastErrorAt!: Date | null;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

@ObjectType()
export class RuleConnection extends Connection(Rule, 'Rule') {}

@InputType()
export class CreateRuleInput {
  @Field()
  name!: string;

  @Field({ nullable: true })
  enabled?: boolean;

  @Field(() => GraphQLJSONObject)
  condition!: Record<string, unknown>;

  @Field(() => GraphQLJSONObject)
  action!: Record<string, unknown>;

  @Field(() => Int, { nullable: true })
  priority?: number;

  @Field(() => Int, { nullable: true })
  cooldownSeconds?: number;
}

@InputType()
export class UpdateRuleInput {
  @Field({ nullable: true })
  name?: string;

  @Field(() => GraphQLJSONObject, { nullable: true })
  condition?: Record<string, unknown>;

  @Field(() => GraphQLJSONObject, { nullable: true })
  action?: Record<string, unknown>;

  @Field(() => Int, { nullable: true })
  priority?: number;

  @Field(() => Int, { nullable: true })
  cooldownSeconds?: number;
}
