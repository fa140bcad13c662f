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
      'sha256 (hex) over the RFC 8785 canonical JSON of { tenantId, chainIndex, prevHash, createdAt, actorType, actorId, action, entityType, entityId, data }; for a keyed event (macKeyId set), HMAC-SHA256 (hex) under that key over the same JSON with macKeyId added',
  })
  hash!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'The id of the MAC key (AUDIT_MAC_KEYS, held outside the database) whose HMAC-SHA256 is `hash`; null: plain sha256, as events written before a key was configured',
  })
  macKeyId!: string | null;
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
      'Why it breaks: "event content does not match its hash", "previous-hash link broken: …", "chain index gap: expected 7, found 9", "unkeyed event after keyed ones: …", "anchored hash differs: …", "chain truncated: …", or events outside the chain',
  })
  reason!: string | null;

  @Field()
  verifiedAt!: Date;

  @Field({
    description:
      'True when the chain’s newest event carries a MAC checked with a key held outside the database (AUDIT_MAC_KEYS). False when no key is configured: every hash is then plain sha256, which anyone able to write to the database can recompute, and only anchors reveal a rewrite',
  })
  keyed!: boolean;

  @Field(() => Int, {
    description: 'Events examined whose hash is plain sha256 (written before a MAC key existed)',
  })
  unkeyedEvents!: number;

  @Field(() => Int, {
    description:
      'Signed anchors of the chain’s head found in the anchor store and checked: signature, and the hash at their index (0 when anchoring is off)',
  })
  anchorsChecked!: number;
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

@ObjectType({
  description:
    'A signed anchor of the tenant’s chain head, as written to the anchor store: check `signature` (base64 Ed25519) over `signedMessage` with auditAnchorKey’s public key',
})
export class AuditAnchor {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, { description: 'The chain index anchored' })
  chainIndex!: number;

  @Field({ description: 'The hash of the event at that index when it was signed' })
  hash!: string;

  @Field()
  signedAt!: Date;

  @Field({
    description: 'The signing key’s id: the first 16 hex digits of the sha256 of its public key (DER)',
  })
  keyId!: string;

  @Field({ description: 'Ed25519' })
  algorithm!: string;

  @Field({ description: 'Base64 Ed25519 signature over signedMessage' })
  signature!: string;

  @Field({
    description:
      'The exact text signed: RFC 8785 canonical JSON of { algorithm, chainIndex, hash, keyId, signedAt, tenantId }, which is the stored object without its signature',
  })
  signedMessage!: string;

  @Field({ description: 'The object’s key in the frame store (S3 bucket or local folder)' })
  storeKey!: string;
}

@ObjectType()
export class AuditAnchorConnection extends Connection(AuditAnchor, 'AuditAnchor') {}

@ObjectType({ description: 'The public key that checks this deployment’s audit chain anchors' })
export class AuditAnchorKey {
  @Field()
  keyId!: string;

  @Field({ description: 'Ed25519' })
  algorithm!: string;

  @Field({ description: 'The public key, PEM (SPKI)' })
  publicKeyPem!: string;
}
