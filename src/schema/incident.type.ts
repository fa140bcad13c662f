import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { IncidentStatus } from '../generated/prisma/enums';
import { Connection } from './connection.type';

registerEnumType(IncidentStatus, {
  name: 'IncidentStatus',
  description:
    'OPEN while its rule keeps firing within its cooldown; CLOSED once the rule stayed quiet for its cooldown, a person decided its review item, or a later firing began a new incident',
});

export { IncidentStatus };

@ObjectType({
  description:
    'One event on a stream: the consecutive or overlapping windows that fired the same rule, stitched together, with their evidence',
})
export class Incident {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  streamId!: string;

  @Field(() => ID)
  ruleId!: string;

  @Field(() => IncidentStatus)
  status!: IncidentStatus;

  @Field({ description: 'Start of the first window that fired' })
  startAt!: Date;

  @Field({ description: 'End of the last window that fired' })
  endAt!: Date;

  @Field({ description: 'End of the window of the latest firing' })
  lastFiredAt!: Date;

  @Field(() => Int, { description: 'How many analyses fired the rule into this incident' })
  firings!: number;

  @Field(() => String, { nullable: true, description: 'The highest anomaly severity seen' })
  severity!: string | null;

  @Field(() => Float, { nullable: true, description: 'The highest result confidence seen' })
  confidence!: number | null;

  @Field()
  summary!: string;

  @Field(() => [ID], {
    description:
      'A bounded sample of the evidence’s frames (at most 12: how it began, then spread over the rest); every firing is in `evidence`',
  })
  keyframeIds!: string[];

  @Field(() => Date, { nullable: true, description: 'When the incident ended (null while OPEN)' })
  closedAt!: Date | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Why it ended: "quiet" (its rule did not fire for its cooldown), "decided" (a person decided its review item) or "superseded" (a later firing began a new incident)',
  })
  closeReason!: string | null;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

@ObjectType({
  description:
    'The incident’s evidence clip: an H.264 MP4 of its frames at their real pace (a frame held at most 2 s), capture times burnt in, sampled evenly down to 1,800 frames for long incidents',
})
export class IncidentClip {
  @Field({
    description:
      'Signed, time-limited URL of the MP4 (plays in a <video> element; supports HTTP Range requests)',
  })
  url!: string;

  @Field({ description: 'When `url` stops working: ask for the clip again for a fresh one' })
  urlExpiresAt!: Date;

  @Field({ description: 'sha256 (hex) of the MP4, also recorded in the audit chain (incident.clip_built)' })
  sha256!: string;

  @Field(() => Int)
  bytes!: number;

  @Field(() => Int, { description: 'Frames in the clip' })
  frames!: number;

  @Field()
  builtAt!: Date;
}

@ObjectType()
export class IncidentConnection extends Connection(Incident, 'Incident') {}

@ObjectType({
  description: 'One firing of an incident’s rule: the analysis whose result matched and its window',
})
export class IncidentFiring {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  incidentId!: string;

  @Field(() => ID)
  analysisId!: string;

  @Field(() => ID)
  windowId!: string;

  @Field({ description: 'Start of the window' })
  startAt!: Date;

  @Field({ description: 'End of the window' })
  endAt!: Date;

  @Field(() => String, { nullable: true, description: 'The highest anomaly severity of this result' })
  severity!: string | null;

  @Field(() => Float, { nullable: true })
  confidence!: number | null;

  @Field()
  createdAt!: Date;
}

@ObjectType()
export class IncidentFiringConnection extends Connection(IncidentFiring, 'IncidentFiring') {}

@InputType({ description: 'A rule not saved yet: its condition and action in the rule language' })
export class RuleDraftInput {
  @Field(() => GraphQLJSONObject)
  condition!: Record<string, unknown>;

  @Field(() => GraphQLJSONObject)
  action!: Record<string, unknown>;

  @Field(() => Int, { nullable: true, description: 'For stitching firings into incidents (default 60)' })
  cooldownSeconds?: number | null;
}

@InputType()
export class BacktestRuleInput {
  @Field(() => ID, { nullable: true, description: 'A saved rule; or give a draft' })
  ruleId?: string | null;

  @Field(() => RuleDraftInput, { nullable: true })
  draft?: RuleDraftInput | null;

  @Field(() => ID)
  streamId!: string;

  @Field(() => Date, { nullable: true, description: 'Results of windows ending at or after this time' })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Results of windows ending at or before this time' })
  to?: Date | null;

  @Field(() => Int, {
    nullable: true,
    description: 'At most this many results, the newest (default 500, at most 2000)',
  })
  limit?: number | null;
}

@ObjectType()
export class BacktestFiring {
  @Field(() => ID)
  windowId!: string;

  @Field(() => ID)
  analysisId!: string;

  @Field()
  endAt!: Date;

  @Field({
    description: 'Whether this firing would have opened an incident rather than joined the previous one',
  })
  opensIncident!: boolean;

  @Field(() => [String], { description: 'The predicates that held, by path in the condition' })
  matchedPaths!: string[];
}

@ObjectType({ description: 'What a rule would have fired on a stream’s stored results' })
export class BacktestResult {
  @Field(() => Int, { description: 'Results evaluated' })
  evaluated!: number;

  @Field(() => [BacktestFiring], { description: 'The windows the rule would have fired on, oldest first' })
  firings!: BacktestFiring[];

  @Field(() => Int, { description: 'How many incidents those firings would have made' })
  incidents!: number;
}
