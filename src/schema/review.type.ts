import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ReviewDecision, ReviewStatus } from '../generated/prisma/enums';
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

  @Field(() => ID, { nullable: true })
  assigneeId!: string | null;

  @Field(() => Date, { nullable: true, description: 'The claim ends then unless renewed' })
  claimExpiresAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Escalates itself if not claimed by then (live stream)' })
  claimDueAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Escalates itself if not decided by then (live stream)' })
  decideDueAt!: Date | null;

  @Field(() => Date, { nullable: true })
  escalatedAt!: Date | null;

  @Field(() => ReviewDecision, { nullable: true })
  decision!: ReviewDecision | null;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  @Field(() => String, { nullable: true })
  notes!: string | null;

  @Field(() => ID, { nullable: true })
  decidedById!: string | null;

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

  @Field(() => Int)
  claimWithinSeconds!: number;

  @Field(() => Int)
  decideWithinSeconds!: number;
}

@InputType()
export class ReviewQueueInput {
  @Field()
  name!: string;

  @Field(() => Int, { nullable: true, description: 'Default 300' })
  claimWithinSeconds?: number;

  @Field(() => Int, { nullable: true, description: 'Default 900' })
  decideWithinSeconds?: number;
}

@InputType()
export class ReviewDecisionInput {
  @Field(() => ModeratorDecision)
  decision!: ModeratorDecision;

  @Field({ description: 'Why: kept in the audit log' })
  reason!: string;

  @Field({ nullable: true })
  notes?: string;
}
