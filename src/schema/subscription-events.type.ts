import { Field, ID, Int, ObjectType } from 'type-graphql';

/**
 * Events delivered by subscriptions. Each replayable event carries `cursor` (increasing per
 * channel): pass the last one received as `after` when reconnecting to receive what was missed.
 */
@ObjectType({
  description:
    'A review item was added, claimed, released, held, escalated, reassigned, resolved or reopened',
})
export class ReviewItemEvent {
  @Field(() => String, { description: 'Pass as `after` when reconnecting' })
  cursor!: string;

  @Field(() => String, {
    description: 'added | claimed | released | held | escalated | reassigned | resolved | reopened',
  })
  type!: string;

  @Field(() => ID)
  reviewItemId!: string;

  @Field(() => ID)
  incidentId!: string;

  @Field(() => ID)
  streamId!: string;

  @Field(() => String)
  queue!: string;

  @Field(() => String)
  status!: string;

  @Field(() => Int)
  priority!: number;

  @Field(() => ID, { nullable: true })
  assigneeId!: string | null;

  @Field(() => Date, { nullable: true, description: 'Claim by then, or the item escalates' })
  // The event's JSON carries ISO strings; the DateTimeISO scalar serialises them as they are.
  claimDueAt!: string | null;

  @Field(() => Date, { nullable: true, description: 'Decide by then, or the item escalates' })
  decideDueAt!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the current claim lapses' })
  claimExpiresAt!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the current claim began' })
  claimedAt!: string | null;

  @Field(() => ID, { nullable: true, description: 'The API key holding the claim' })
  assigneeApiKeyId!: string | null;

  @Field(() => String, { description: 'What happened: the incident’s summary' })
  summary!: string;

  @Field(() => String, { nullable: true, description: 'The incident’s highest severity' })
  severity!: string | null;

  @Field(() => String, { nullable: true, description: 'The stream’s name' })
  streamName!: string | null;

  @Field(() => Boolean, { description: 'False once the stream is stopped or ended' })
  streamLive!: boolean;
}

@ObjectType({ description: 'A rule raised an alert' })
export class AlertEvent {
  @Field(() => String, { description: 'Pass as `after` when reconnecting' })
  cursor!: string;

  @Field(() => ID)
  alertId!: string;

  @Field(() => ID)
  incidentId!: string;

  @Field(() => ID)
  streamId!: string;

  @Field(() => ID)
  ruleId!: string;

  @Field(() => String)
  severity!: string;

  @Field(() => String)
  message!: string;
}

@ObjectType({ description: 'A stream changed status' })
export class StreamStatusEvent {
  @Field(() => String, { description: 'Pass as `after` when reconnecting' })
  cursor!: string;

  @Field(() => ID)
  streamId!: string;

  @Field(() => String)
  status!: string;

  @Field(() => String, { nullable: true })
  lastError!: string | null;
}

@ObjectType({ description: 'An analysis of a window finished (done, failed, gated or degraded)' })
export class AnalysisCompletedEvent {
  @Field(() => String, { description: 'Pass as `after` when reconnecting' })
  cursor!: string;

  @Field(() => ID)
  analysisId!: string;

  @Field(() => ID)
  windowId!: string;

  @Field(() => ID)
  streamId!: string;

  @Field(() => String)
  status!: string;

  @Field(() => String)
  mode!: string;
}

@ObjectType({
  description:
    'The model’s reasoning as it streams (live only; Analysis.reasoning holds what came before): `attempt` starts an attempt (earlier text is void), `delta` appends text at its offset, `end` closes it',
})
export class AnalysisReasoningEvent {
  @Field(() => String, { description: 'attempt | delta | end' })
  type!: string;

  @Field(() => ID)
  analysisId!: string;

  @Field(() => Int, { nullable: true })
  attempt!: number | null;

  @Field(() => String, { nullable: true, description: 'The GPU node of this attempt (type attempt)' })
  node!: string | null;

  @Field(() => String, { nullable: true, description: 'Reasoning text to append (type delta)' })
  text!: string | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Characters of this attempt’s reasoning before `text` (type delta): place it after Analysis.reasoning read while RUNNING',
  })
  offset!: number | null;

  @Field(() => String, { nullable: true, description: 'The analysis status (type end)' })
  status!: string | null;
}
