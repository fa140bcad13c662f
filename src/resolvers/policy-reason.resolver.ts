import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { Permission } from '../auth/permissions';
import { PolicyReason, PolicyReasonInput } from '../schema/review.type';
import { authedContext, type GraphQLContext } from './graphql-context';

@Resolver(() => PolicyReason)
export class PolicyReasonResolver {
  @Authorized(Permission.REVIEW_READ)
  @Query(() => [PolicyReason], {
    description: 'The tenant’s policy reasons by label; archived ones only when asked for',
  })
  policyReasons(
    @Arg('includeArchived', () => Boolean, { nullable: true }) includeArchived: boolean | null,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db } = authedContext(context);
    return services.policyReasons.list(db, includeArchived);
  }

  @Authorized(Permission.REVIEW_MANAGE)
  @Mutation(() => PolicyReason, { description: 'A duplicate label is a CONFLICT (reason DUPLICATE)' })
  createPolicyReason(@Arg('input') input: PolicyReasonInput, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.policyReasons.create(db, actor, input);
  }

  @Authorized(Permission.REVIEW_MANAGE)
  @Mutation(() => PolicyReason, {
    description: 'Items already decided with the reason keep the label and policy they were decided with',
  })
  updatePolicyReason(
    @Arg('policyReasonId', () => ID) policyReasonId: string,
    @Arg('input') input: PolicyReasonInput,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db, actor } = authedContext(context);
    return services.policyReasons.update(db, actor, policyReasonId, input);
  }

  @Authorized(Permission.REVIEW_MANAGE)
  @Mutation(() => PolicyReason, {
    description: 'Takes the reason off the list (no longer offered or accepted); it is kept for the record',
  })
  archivePolicyReason(
    @Arg('policyReasonId', () => ID) policyReasonId: string,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db, actor } = authedContext(context);
    return services.policyReasons.archive(db, actor, policyReasonId);
  }
}
