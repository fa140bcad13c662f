import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { NotLivePolicy, ReviewDecision, ReviewStatus } from '../generated/prisma/enums';
import { Connection } from './connection.type';

registerEnumType(ReviewStatus, {
  name: 'ReviewStatus',
  description:
    'OPEN -> CLAIMED (a lease) -> RESOLVED; CLAIMED -> OPEN when the lease expires; OPEN/CLAIMED -> HELD | ESCALATED',
});
registerEnumType(ReviewDecision, {
  name: 'ReviewDecision',
  description: 'AUTO_DISMISS is set by a rule below its confidence threshold; a moderator can reopen it',
});

registerEnumType(NotLivePolicy, {
  name: 'NotLivePolicy',
  description:
    'What an item’s deadlines do once its stream is no longer live (stopped, ended): ESCALATE as for a live stream, or PAUSE (the item waits, marked as of a stream no longer live)',
});
export { NotLivePolicy };

export enum ModeratorDecision {
  DISMISS = 'DISMISS',
  CONFIRM_VIOLATION = 'CONFIRM_VIOLATION',
  ESCALATE = 'ESCALATE',
  STOP_STREAM = 'STOP_STREAM',
}
registerEnumType(ModeratorDecision, {
  name: 'ModeratorDecision',
  description: 'STOP_STREAM also stops the stream and tells the partner through a webhook',
});

@ObjectType({ description: 'One incident waiting for (or decided by) a moderator' })
export class ReviewItem {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  incidentId!: string;

  @Field(() => ID)
  streamId!: string;

  @Field()
  queue!: string;

  @Field(() => Int, { description: '0..100, higher first' })
  priority!: number;

  @Field(() => ReviewStatus)
  status!: ReviewStatus;

  @Field(() => ID, { nullable: true, description: 'The moderator holding the claim' })
  assigneeId!: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'The API key holding the claim (a key with the review scope)',
  })
  assigneeApiKeyId!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the current claim began' })
  claimedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'The claim ends then unless renewed' })
  claimExpiresAt!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description:
      'Time to claim: counted from creation; escalates itself if not claimed by then (see ReviewQueueSettings.whenStreamNotLive)',
  })
  claimDueAt!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description:
      'Time to decide: counted from the current claim (null while unclaimed); escalates itself if not decided by then',
  })
  decideDueAt!: Date | null;

  @Field(() => Date, { nullable: true })
  escalatedAt!: Date | null;

  @Field(() => ReviewDecision, { nullable: true })
  decision!: ReviewDecision | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The reason as the decider gave it (a policy reason’s label, or their own words); a rule’s words for AUTO_DISMISS; the hold reason while HELD',
  })
  reason!: string | null;

  @Field(() => ID, { nullable: true, description: 'The policy reason chosen, when one was' })
  policyReasonId!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The policy the chosen reason applies (null for typed reasons)',
  })
  policy!: string | null;

  @Field(() => String, { nullable: true, description: 'The decider’s free notes on the decision' })
  notes!: string | null;

  @Field(() => ID, { nullable: true, description: 'The moderator who decided' })
  decidedById!: string | null;

  @Field(() => ID, { nullable: true, description: 'The API key that decided (a key with the review scope)' })
  decidedByApiKeyId!: string | null;

  @Field(() => Date, { nullable: true })
  decidedAt!: Date | null;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

@ObjectType()
export class ReviewItemConnection extends Connection(ReviewItem, 'ReviewItem') {}

@ObjectType({ description: "A queue's service levels" })
export class ReviewQueueSettings {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => Int, { description: 'Time to claim, from the item’s creation' })
  claimWithinSeconds!: number;

  @Field(() => Int, { description: 'Time to decide, from the claim' })
  decideWithinSeconds!: number;

  @Field(() => NotLivePolicy)
  whenStreamNotLive!: NotLivePolicy;
}

@InputType()
export class ReviewQueueInput {
  @Field()
  name!: string;

  @Field(() => Int, { nullable: true, description: 'Time to claim, from creation. Default 300' })
  claimWithinSeconds?: number;

  @Field(() => Int, { nullable: true, description: 'Time to decide, from the claim. Default 900' })
  decideWithinSeconds?: number;

  @Field(() => NotLivePolicy, { nullable: true, description: 'Default ESCALATE' })
  whenStreamNotLive?: NotLivePolicy;
}

@InputType({
  description:
    'A decision takes effect at once and cannot be taken back through the API (CONFIRM_VIOLATION and STOP_STREAM are final; the console asks for confirmation first). It needs a reason: one of the tenant’s policy reasons (policyReasonId) or the decider’s own words (reason), not both.',
})
export class ReviewDecisionInput {
  @Field(() => ModeratorDecision)
  decision!: ModeratorDecision;

  @Field(() => ID, {
    nullable: true,
    description: 'A policy reason of the tenant (policyReasons) that justifies this decision',
  })
  policyReasonId?: string;

  @Field({ nullable: true, description: 'The decider’s own reason, when no listed one fits' })
  reason?: string;

  @Field({ nullable: true, description: 'Free notes, kept with the decision' })
  notes?: string;
}

@ObjectType({
  description:
    'A reason from the tenant’s list that a moderator can choose for a decision; its label and policy are copied onto the items decided with it',
})
export class PolicyReason {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'What moderators choose from, unique in the tenant' })
  label!: string;

  @Field({ description: 'The policy the reason applies (may be empty)' })
  policy!: string;

  @Field(() => [ModeratorDecision], {
    description: 'The decisions this reason may justify; empty means any',
  })
  decisions!: string[];

  @Field(() => Date, { nullable: true, description: 'Set once archived: no longer offered or accepted' })
  archivedAt!: Date | null;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

@InputType({ description: 'A policy reason; when changing one, absent fields stay as they are' })
export class PolicyReasonInput {
  @Field({ nullable: true, description: '1–120 characters, unique in the tenant' })
  label?: string;

  @Field({ nullable: true, description: 'The policy the reason applies' })
  policy?: string;

  @Field(() => [ModeratorDecision], {
    nullable: true,
    description: 'The decisions it may justify; empty or absent means any',
  })
  decisions?: ModeratorDecision[];
}

@ObjectType({ description: 'A note on a review item, kept as written' })
export class ReviewNote {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  reviewItemId!: string;

  @Field({ description: '"user" (a moderator) or "apiKey" (a key with the review scope)' })
  authorType!: string;

  @Field(() => ID, { nullable: true })
  authorId!: string | null;

  @Field()
  text!: string;

  @Field()
  createdAt!: Date;
}
