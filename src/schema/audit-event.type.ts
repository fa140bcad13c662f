import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { AuditVerificationStatus } from '../generated/prisma/enums';
import { Connection } from './connection.type';

@ObjectType({ description: 'One recorded change; append-only and chained to the tenant’s previous event' })
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

  @Field(() => Int, { description: 'Position in the tenant’s audit chain: 1, 2, 3, … in append order' })
  chainIndex!: number;

  @Field(() => String, {
    nullable: true,
    description: 'The hash of the tenant’s previous event (null for the first)',
  })
  prevHash!: string | null;

  @Field(() => String, {
    description:
      'sha256 (hex) over the RFC 8785 canonical JSON of { tenantId, chainIndex, prevHash, createdAt, actorType, actorId, action, entityType, entityId, data }',
  })
  hash!: string;
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

  @Field({ nullable: true, description: 'The user’s or API key’s id' })
  actorId?: string;

  @Field(() => Date, { nullable: true, description: 'Events at or after this time' })
  from?: Date;

  @Field(() => Date, { nullable: true, description: 'Events at or before this time' })
  to?: Date;

  @Field(() => Int, {
    nullable: true,
    description:
      'Events at or before this place in the chain (newest first: that event, then what led to it)',
  })
  upToChainIndex?: number;
}

@ObjectType({ description: 'The outcome of checking the tenant’s audit chain from its first event' })
export class AuditChainVerification {
  @Field({ description: 'True when every event is in the chain, linked and unchanged' })
  ok!: boolean;

  @Field(() => Int, { description: 'Events examined (up to and including the first broken one)' })
  eventsChecked!: number;

  @Field(() => String, {
    nullable: true,
    description:
      'Hash of the tenant’s latest event; record it outside Vigil to detect a later removal of the newest events',
  })
  headHash!: string | null;

  @Field(() => ID, { nullable: true, description: 'The first event that breaks the chain' })
  firstBrokenEventId!: string | null;

  @Field(() => Int, { nullable: true })
  firstBrokenChainIndex!: number | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Why it breaks: "event content does not match its hash", "previous-hash link broken: …" or "chain index gap: expected 7, found 9"',
  })
  reason!: string | null;

  @Field()
  verifiedAt!: Date;
}

registerEnumType(AuditVerificationStatus, {
  name: 'AuditVerificationStatus',
  description:
    'QUEUED: recorded, waiting for a worker; RUNNING: walking the chain (see eventsChecked); DONE: `result` holds the outcome; FAILED: the job could not finish (`error`), which says nothing about the chain',
});

@ObjectType({
  description:
    'A verification of the tenant’s audit chain run as a job in a worker, with its progress; one per tenant runs at a time',
})
export class AuditChainVerificationRun {
  @Field(() => ID)
  id!: string;

  @Field(() => AuditVerificationStatus)
  status!: AuditVerificationStatus;

  @Field(() => Int, {
    description: 'Events in the chain when it was asked for (the walk also checks events appended since)',
  })
  eventsTotal!: number;

  @Field(() => Int, { description: 'Events checked so far; updated after every batch while RUNNING' })
  eventsChecked!: number;

  @Field({ description: 'Who asked: user or apiKey' })
  requestedByType!: string;

  @Field(() => ID, { description: 'The user’s or API key’s id' })
  requestedById!: string;

  @Field(() => AuditChainVerification, { nullable: true, description: 'The outcome, once DONE' })
  result!: AuditChainVerification | null;

  @Field(() => String, { nullable: true, description: 'Why the job could not finish (FAILED)' })
  error!: string | null;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;
}

@ObjectType()
export class AuditChainVerificationRunConnection extends Connection(
  AuditChainVerificationRun,
  'AuditChainVerificationRun',
) {}
