import {
  Arg,
  Args,
  Authorized,
  Ctx,
  FieldResolver,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';
import { notFound } from '../errors/domain-error';
import type { Incident } from '../generated/prisma/client';
import type { ReviewStatus } from '../generated/prisma/enums';
import { PageArgsInput } from '../schema/connection.type';
import {
  ReviewDecisionInput,
  ReviewItem,
  ReviewItemConnection,
  ReviewQueueInput,
  ReviewQueueSettings,
} from '../schema/review.type';
import { ReviewStatus as ReviewStatusEnum } from '../generated/prisma/enums';

@Resolver(() => ReviewItem)
export class ReviewResolver {
  @Authorized(Permission.REVIEW_READ)
  @Query(() => ReviewItemConnection)
  reviewItems(
    @Args() page: PageArgsInput,
    @Arg('queue', () => String, { nullable: true }) queue: string | null,
    @Arg('status', () => [ReviewStatusEnum], { nullable: true }) status: ReviewStatus[] | null,
    @Arg('streamId', () => ID, { nullable: true }) streamId: string | null,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db } = authedContext(context);
    return services.reviews.list(db, page, { queue, status, streamId });
  }

  @Authorized(Permission.REVIEW_READ)
  @Query(() => ReviewItem)
  reviewItem(@Arg('reviewItemId', () => ID) reviewItemId: string, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.reviews.get(db, reviewItemId);
  }

  @Authorized(Permission.REVIEW_READ)
  @Query(() => [ReviewQueueSettings])
  reviewQueues(@Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.reviews.listQueues(db);
  }

  @FieldResolver(() => String, { nullable: true, description: 'The incident’s highest anomaly severity' })
  async severity(@Root() item: ReviewItem, @Ctx() context: GraphQLContext): Promise<string | null> {
    return (await incidentOf(item, context)).severity;
  }

  @FieldResolver(() => String, { description: 'The incident’s summary' })
  async summary(@Root() item: ReviewItem, @Ctx() context: GraphQLContext): Promise<string> {
    return (await incidentOf(item, context)).summary;
  }

  @FieldResolver(() => ID, { description: 'The rule that fired' })
  async ruleId(@Root() item: ReviewItem, @Ctx() context: GraphQLContext): Promise<string> {
    return (await incidentOf(item, context)).ruleId;
  }

  @FieldResolver(() => String)
  async streamName(@Root() item: ReviewItem, @Ctx() context: GraphQLContext): Promise<string> {
    const stream = await authedContext(context).loaders.stream.load(item.streamId);
    if (!stream) throw notFound('Stream');
    return stream.name;
  }

  @Authorized(Permission.REVIEW_MANAGE)
  @Mutation(() => ReviewQueueSettings, { description: "Creates a queue's service levels or changes them" })
  setReviewQueue(@Arg('input') input: ReviewQueueInput, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.reviews.upsertQueue(db, actor, input);
  }

  @Authorized(Permission.REVIEW_WORK)
  @Mutation(() => ReviewItem, { description: 'Of many claims on one item at once, exactly one wins' })
  claimReviewItem(
    @Arg('reviewItemId', () => ID) reviewItemId: string,
    @Arg('leaseSeconds', () => Int, { nullable: true }) leaseSeconds: number | null,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db, actor } = authedContext(context);
    return services.reviews.claim(db, actor, reviewItemId, leaseSeconds);
  }

  @Authorized(Permission.REVIEW_WORK)
  @Mutation(() => ReviewItem, {
    nullable: true,
    description: "Claims the queue's most urgent item (priority, then age); null when the queue is empty",
  })
  claimNextReviewItem(
    @Arg('queue') queue: string,
    @Arg('leaseSeconds', () => Int, { nullable: true }) leaseSeconds: number | null,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db, actor } = authedContext(context);
    return services.reviews.claimNext(db, actor, queue, leaseSeconds);
  }

  @Authorized(Permission.REVIEW_WORK)
  @Mutation(() => ReviewItem)
  renewReviewClaim(
    @Arg('reviewItemId', () => ID) reviewItemId: string,
    @Arg('leaseSeconds', () => Int, { nullable: true }) leaseSeconds: number | null,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db, actor } = authedContext(context);
    return services.reviews.renew(db, actor, reviewItemId, leaseSeconds);
  }

  @Authorized(Permission.REVIEW_WORK)
  @Mutation(() => ReviewItem)
  releaseReviewItem(@Arg('reviewItemId', () => ID) reviewItemId: string, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.reviews.release(db, actor, reviewItemId);
  }

  @Authorized(Permission.REVIEW_WORK)
  @Mutation(() => ReviewItem)
  holdReviewItem(
    @Arg('reviewItemId', () => ID) reviewItemId: string,
    @Arg('reason') reason: string,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db, actor } = authedContext(context);
    return services.reviews.hold(db, actor, reviewItemId, reason);
  }

  @Authorized(Permission.REVIEW_WORK)
  @Mutation(() => ReviewItem, {
    description: 'The one decision on an item, by the moderator holding its claim',
  })
  decideReviewItem(
    @Arg('reviewItemId', () => ID) reviewItemId: string,
    @Arg('input') input: ReviewDecisionInput,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db, actor } = authedContext(context);
    return services.reviews.decide(db, actor, reviewItemId, input);
  }

  @Authorized(Permission.REVIEW_WORK)
  @Mutation(() => ReviewItem, { description: 'By an admin, or by the moderator holding the item' })
  reassignReviewItem(
    @Arg('reviewItemId', () => ID) reviewItemId: string,
    @Arg('userId', () => ID) userId: string,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db, actor } = authedContext(context);
    return services.reviews.reassign(db, actor, reviewItemId, userId);
  }

  @Authorized(Permission.REVIEW_WORK)
  @Mutation(() => ReviewItem, { description: 'Reopens an item a rule dismissed automatically' })
  reopenReviewItem(@Arg('reviewItemId', () => ID) reviewItemId: string, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.reviews.reopen(db, actor, reviewItemId);
  }
}

/** The item's incident, batched with the other items of the page (one query per page). */
async function incidentOf(item: ReviewItem, context: GraphQLContext): Promise<Incident> {
  const incident = await authedContext(context).loaders.incident.load(item.incidentId);
  if (!incident) throw notFound('Incident');
  return incident;
}
