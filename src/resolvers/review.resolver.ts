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
  ReviewNote,
  ReviewQueueInput,
  ReviewQueueSettings,
} from '../schema/review.type';
import { Frame } from '../schema/window.type';
import { ReviewStatus as ReviewStatusEnum } from '../generated/prisma/enums';
import { LIVE_STREAM_STATUSES } from '../review/review-items';

@Resolver(() => ReviewItem)
export class ReviewResolver {
  @Authorized(Permission.REVIEW_READ)
  @Query(() => ReviewItemConnection)
  reviewItems(
    @Args() page: PageArgsInput,
    @Arg('queue', () => String, { nullable: true }) queue: string | null,
    @Arg('status', () => [ReviewStatusEnum], { nullable: true }) status: ReviewStatus[] | null,
    @Arg('streamId', () => ID, { nullable: true }) streamId: string | null,
    @Arg('newestFirst', () => Boolean, {
      nullable: true,
      description: 'Newest first (e.g. a stream’s latest decisions); oldest first by default',
    })
    newestFirst: boolean | null,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db } = authedContext(context);
    return services.reviews.list(db, page, { queue, status, streamId, newestFirst });
  }

  @Authorized(Permission.REVIEW_READ)
  @Query(() => ReviewItem)
  reviewItem(@Arg('reviewItemId', () => ID) reviewItemId: string, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.reviews.get(db, reviewItemId);
  }

  @Authorized(Permission.REVIEW_READ)
  @Query(() => [ReviewNote], { description: 'The notes on a review item, newest first' })
  reviewNotes(@Arg('reviewItemId', () => ID) reviewItemId: string, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.reviews.notesOf(db, reviewItemId);
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

  @FieldResolver(() => Boolean, {
    description: 'Whether the stream is live (active, paused or retrying); false once stopped or ended',
  })
  async streamLive(@Root() item: ReviewItem, @Ctx() context: GraphQLContext): Promise<boolean> {
    const stream = await authedContext(context).loaders.stream.load(item.streamId);
    return !!stream && (LIVE_STREAM_STATUSES as readonly string[]).includes(stream.status);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Who holds the claim, for people: the moderator’s e-mail or the API key’s name',
  })
  assigneeName(@Root() item: ReviewItem, @Ctx() context: GraphQLContext): Promise<string | null> {
    const key = item.assigneeId
      ? `user:${item.assigneeId}`
      : item.assigneeApiKeyId
        ? `apiKey:${item.assigneeApiKeyId}`
        : null;
    return key ? authedContext(context).loaders.reviewerName.load(key) : Promise.resolve(null);
  }

  @FieldResolver(() => Frame, {
    nullable: true,
    description: 'The incident’s first keyframe (a queue row’s thumbnail); null before it has one',
  })
  async thumbnail(@Root() item: ReviewItem, @Ctx() context: GraphQLContext) {
    const { services, loaders } = authedContext(context);
    const first = (await incidentOf(item, context)).keyframeIds[0];
    const frame = first ? await loaders.frame.load(first) : null;
    return frame ? services.windows.signed(frame) : null;
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
  @Mutation(() => ReviewNote, {
    description:
      'A note on a review item (1–5000 characters), by a moderator or an API key with the review scope; kept as written',
  })
  addReviewNote(
    @Arg('reviewItemId', () => ID) reviewItemId: string,
    @Arg('text') text: string,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db, actor } = authedContext(context);
    return services.reviews.addNote(db, actor, reviewItemId, text);
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

@Resolver(() => ReviewNote)
export class ReviewNoteResolver {
  @FieldResolver(() => String, {
    nullable: true,
    description: 'Who wrote it, for people: the moderator’s e-mail or the API key’s name (null once deleted)',
  })
  authorName(@Root() note: ReviewNote, @Ctx() context: GraphQLContext): Promise<string | null> {
    if (!note.authorId) return Promise.resolve(null);
    return authedContext(context).loaders.reviewerName.load(`${note.authorType}:${note.authorId}`);
  }
}
