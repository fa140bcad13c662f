import { type AuditActor, recordAudit } from '../audit/audit-log';
import type { TenantDb, TenantTx } from '../db/tenant-scoped-db';
import { conflict, ErrorReason, notFound } from '../errors/domain-error';
import { withPrismaErrors } from '../errors/prisma-error.mapper';
import type { Stream } from '../generated/prisma/client';
import type { StreamStatus } from '../generated/prisma/enums';
import { type EventPublisher, LiveEvents } from '../pubsub/live-events';
import { type StreamStatusMessage, TOPICS } from '../pubsub/topics';

/** Every status but ARCHIVED: an archived stream changes no more (retention deletes it in the end). */
const NOT_ARCHIVED: StreamStatus[] = ['ACTIVE', 'PAUSED', 'STOPPED', 'ERROR', 'ENDED'];

/**
 * Every way a stream's status changes, from which statuses, to which. Each status write in Vigil
 * goes through this table, so the states a console or a worker can see are exactly these.
 * - start, pause, stop: a person, through the API (audited as stream.<change>); a new stream is
 *   started in the transaction that creates it unless its creator asked not to.
 * - archive: a person keeps a stream for its evidence instead of deleting it (audited as
 *   stream.archive): it is never sampled or started again, and gives up its name.
 * - replay: a worker's job plays an ended file stream again (audited as stream.replay, by the job).
 * - stopForDecision: a moderator's stop-stream decision, in the decision's transaction (audited by it).
 * - pauseOverBudget: the tenant's monthly token budget is used up and the tenant chose PAUSE.
 * - sourceRecovered, sourceFailed, sourceEnded: the worker sampling the stream; they never
 *   override a person's pause or stop, because they apply only to a stream that is being sampled.
 */
export const STREAM_TRANSITIONS = {
  start: { from: ['STOPPED', 'PAUSED', 'ERROR', 'ENDED'], to: 'ACTIVE' },
  replay: { from: ['ENDED'], to: 'ACTIVE' },
  pause: { from: ['ACTIVE', 'ERROR'], to: 'PAUSED' },
  stop: { from: ['ACTIVE', 'PAUSED', 'ERROR', 'ENDED'], to: 'STOPPED' },
  archive: { from: NOT_ARCHIVED, to: 'ARCHIVED' },
  stopForDecision: { from: NOT_ARCHIVED, to: 'STOPPED' },
  pauseOverBudget: { from: ['ACTIVE'], to: 'PAUSED' },
  sourceRecovered: { from: ['ACTIVE', 'ERROR'], to: 'ACTIVE' },
  sourceFailed: { from: ['ACTIVE', 'ERROR'], to: 'ERROR' },
  sourceEnded: { from: ['ACTIVE', 'ERROR'], to: 'ENDED' },
} as const satisfies Record<string, { from: readonly StreamStatus[]; to: StreamStatus }>;

export type StreamStatusChange = keyof typeof STREAM_TRANSITIONS;

/**
 * The statuses in which a stream holds a sampler or may take one at any moment: ACTIVE (sampled,
 * or about to be claimed by a worker) and ERROR (its worker retries with backoff and reports it
 * ACTIVE again on its own). Workers sample exactly these, and the tenant's active-stream quota
 * counts exactly these.
 */
export const SAMPLED_STATUSES = ['ACTIVE', 'ERROR'] as const satisfies readonly StreamStatus[];
export type PersonStreamChange = 'start' | 'pause' | 'stop' | 'archive';
export type SourceStreamChange = 'sourceRecovered' | 'sourceFailed' | 'sourceEnded';

/** Whether `change` may be applied to a stream that is `status`. */
export function canChange(status: StreamStatus, change: StreamStatusChange): boolean {
  return (STREAM_TRANSITIONS[change].from as readonly StreamStatus[]).includes(status);
}

/**
 * Runs inside a start's transaction once the tenant's starts are serialised, before the stream
 * becomes ACTIVE: the active-stream quota is checked there. Throwing refuses the start.
 */
export type BeforeStart = (tx: TenantTx, stream: Stream) => Promise<void>;

/**
 * What a status change may set beside the status: the reason shown to users, a file's progress,
 * and when archiving, the time and the name given up.
 */
interface StatusDetail {
  lastError?: string | null;
  progressPercent?: number | null;
  archivedAt?: Date;
  nameInUse?: null;
}

const detailOf = (change: PersonStreamChange | 'replay'): StatusDetail =>
  change === 'archive'
    ? { archivedAt: new Date(), nameInUse: null, lastError: null }
    : STREAM_TRANSITIONS[change].to === 'ACTIVE'
      ? { lastError: null }
      : {};

const statusEvent = (stream: Pick<Stream, 'id' | 'status' | 'lastError'>): StreamStatusMessage => ({
  streamId: stream.id,
  status: stream.status,
  lastError: stream.lastError,
});

/**
 * The owner of a stream's status: every status write, with its audit event where a person or a
 * policy made it, and its live event (streamStatus subscriptions) once committed.
 */
export class StreamStatusOwner {
  constructor(private readonly publisher: EventPublisher) {}

  /** A person starts, pauses or stops a stream; `beforeStart` checks a start (the quota). */
  async changeByPerson(
    db: TenantDb,
    actor: AuditActor,
    streamId: string,
    change: PersonStreamChange,
    beforeStart?: BeforeStart,
  ): Promise<Stream> {
    const events = new LiveEvents();
    const stream = await withPrismaErrors('stream', () =>
      db.$transaction(async (tx) => this.changeAudited(tx, actor, streamId, change, events, beforeStart)),
    );
    await events.publish(this.publisher);
    return stream;
  }

  /**
   * Makes the tenant's starts take turns until the caller's transaction ends (a lock, not
   * SERIALIZABLE isolation, which every audited change of the tenant would then conflict with
   * through the audit chain), so two concurrent starts cannot both pass the active-stream quota.
   * Taken before anything else the transaction locks: the audit chain's lock is taken after it
   * everywhere, so starts and audited changes never wait for each other in a circle. Taking it
   * again in the same transaction is harmless.
   */
  async serialiseStarts(tx: TenantTx, tenantId: string): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`vigil:stream-quota:${tenantId}`}, 0))`;
  }

  /**
   * How many of the tenant's streams hold or may take a sampler (SAMPLED_STATUSES), leaving out
   * `except` (the stream being started, which already holds its place if it is retrying). Exact
   * only inside serialiseStarts.
   */
  countSampled(tx: TenantTx, except: string): Promise<number> {
    return tx.stream.count({ where: { status: { in: [...SAMPLED_STATUSES] }, id: { not: except } } });
  }

  /**
   * Starts a stream created in the caller's transaction (created and started at once); the caller
   * publishes `events` once it committed.
   */
  startInTransaction(
    tx: TenantTx,
    actor: AuditActor,
    stream: Pick<Stream, 'id'>,
    events: LiveEvents,
    beforeStart?: BeforeStart,
  ): Promise<Stream> {
    return this.changeAudited(tx, actor, stream.id, 'start', events, beforeStart);
  }

  /**
   * A worker's job plays an ENDED file stream again (the demo's endless camera), audited as that
   * job: it never overrides a person's pause or stop, which leave the stream PAUSED or STOPPED.
   */
  async replayEnded(
    db: TenantDb,
    job: AuditActor,
    streamId: string,
    beforeStart?: BeforeStart,
  ): Promise<Stream> {
    const events = new LiveEvents();
    const stream = await withPrismaErrors('stream', () =>
      db.$transaction(async (tx) => this.changeAudited(tx, job, streamId, 'replay', events, beforeStart)),
    );
    await events.publish(this.publisher);
    return stream;
  }

  private async changeAudited(
    tx: TenantTx,
    actor: AuditActor,
    streamId: string,
    change: PersonStreamChange | 'replay',
    events: LiveEvents,
    beforeStart?: BeforeStart,
  ): Promise<Stream> {
    const to = STREAM_TRANSITIONS[change].to;
    if (to === 'ACTIVE') await this.serialiseStarts(tx, actor.tenantId);
    const current = await tx.stream.findUnique({ where: { id: streamId } });
    if (!current) throw notFound('Stream');
    if (!canChange(current.status, change)) {
      throw conflict(`Cannot ${change} a stream that is ${current.status}`, ErrorReason.INVALID_TRANSITION);
    }
    if (to === 'ACTIVE') await beforeStart?.(tx, current);
    const updated = await this.move(tx, current, change, detailOf(change), events);
    if (!updated)
      throw conflict('A concurrent change got there first; try again', ErrorReason.CONCURRENT_CHANGE);
    await recordAudit(tx, actor, {
      action: `stream.${change}`,
      entityType: 'Stream',
      entityId: streamId,
      data: { from: current.status, to, ...(change === 'archive' ? { name: current.name } : {}) },
    });
    return updated;
  }

  /** A moderator's stop-stream decision, inside the decision's transaction (which audits it). */
  async stopForDecision(tx: TenantTx, streamId: string, reason: string, events: LiveEvents): Promise<void> {
    const current = await tx.stream.findUnique({ where: { id: streamId } });
    if (!current) return;
    await this.move(
      tx,
      current,
      'stopForDecision',
      { lastError: `stopped by a moderator: ${reason}` },
      events,
    );
  }

  /** Pauses every active stream of the tenant (budget used up), in the caller's transaction. */
  async pauseAllOverBudget(tx: TenantTx, reason: string, events: LiveEvents): Promise<number> {
    const { from, to } = STREAM_TRANSITIONS.pauseOverBudget;
    const paused = await tx.stream.updateManyAndReturn({
      where: { status: { in: [...from] } },
      data: { status: to, lastError: `paused: ${reason}` },
      select: { id: true, tenantId: true, status: true, lastError: true },
    });
    for (const stream of paused) events.add(TOPICS.streamStatus(stream.tenantId), statusEvent(stream));
    return paused.length;
  }

  /**
   * The sampling worker reports what its source did. Applies only while the stream is being
   * sampled (ACTIVE or ERROR): a pause or stop from a person always wins. True when it applied.
   */
  async reportSource(
    db: TenantDb,
    stream: Pick<Stream, 'id' | 'tenantId'>,
    change: SourceStreamChange,
    detail: StatusDetail = {},
  ): Promise<boolean> {
    const { from, to } = STREAM_TRANSITIONS[change];
    const changed = await db.stream.updateMany({
      where: { id: stream.id, status: { in: [...from] } },
      data: { status: to, ...detail },
    });
    if (changed.count === 0) return false;
    const event: StreamStatusMessage = {
      streamId: stream.id,
      status: to,
      lastError: detail.lastError ?? null,
    };
    await this.publisher(TOPICS.streamStatus(stream.tenantId), event).catch(() => undefined);
    return true;
  }

  /** One conditional move: applies only if the stream is still in the status it was read in. */
  private async move(
    tx: TenantTx,
    current: Stream,
    change: StreamStatusChange,
    detail: StatusDetail,
    events: LiveEvents,
  ): Promise<Stream | null> {
    if (!canChange(current.status, change)) return null;
    const changed = await tx.stream.updateMany({
      where: { id: current.id, status: current.status },
      data: { status: STREAM_TRANSITIONS[change].to, ...detail },
    });
    if (changed.count === 0) return null;
    const updated = await tx.stream.findUniqueOrThrow({ where: { id: current.id } });
    events.add(TOPICS.streamStatus(updated.tenantId), statusEvent(updated));
    return updated;
  }
}
