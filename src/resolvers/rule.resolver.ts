import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';
import { PageArgsInput } from '../schema/connection.type';
import { CreateRuleInput, Rule, RuleConnection, UpdateRuleInput } from '../schema/rule.type';

@Resolver(() => Rule)
export class RuleResolver {
  @Authorized(Permission.RULES_READ)
  @Query(() => RuleConnection)
  rules(
    @Args() page: PageArgsInput,
    @Arg('enabled', () => Boolean, { nullable: true }) enabled: boolean | null,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db } = authedContext(context);
    return services.rules.list(db, page, enabled);
  }

  @Authorized(Permission.RULES_READ)
  @Query(() => Rule)
  rule(@Arg('ruleId', () => ID) ruleId: string, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.rules.get(db, ruleId);
  }

  @Authorized(Permission.RULES_MANAGE)
  @Mutation(() => Rule)
  createRule(@Arg('input') input: CreateRuleInput, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.rules.create(db, actor, input);
  }

  @Authorized(Permission.RULES_MANAGE)
  @Mutation(() => Rule)
  updateRule(
    @Arg('ruleId', () => ID) ruleId: string,
    @Arg('input') input: UpdateRuleInput,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db, actor } = authedContext(context);
    return services.rules.update(db, actor, ruleId, input);
  }

  @Authorized(Permission.RULES_MANAGE)
  @Mutation(() => Rule)
  enableRule(@Arg('ruleId', () => ID) ruleId: string, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.rules.setEnabled(db, actor, ruleId, true);
  }

  @Authorized(Permission.RULES_MANAGE)
  @Mutation(() => Rule)
  disableRule(@Arg('ruleId', () => ID) ruleId: string, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.rules.setEnabled(db, actor, ruleId, false);
  }

  @Authorized(Permission.RULES_MANAGE)
  @Mutation(() => ID, { description: 'Returns the id of the deleted rule' })
  deleteRule(@Arg('ruleId', () => ID) ruleId: string, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.rules.delete(db, actor, ruleId);
  }
}
