import { type AuditActor, recordAudit, ruleActor, systemActor } from '../audit/audit-log';
import type { TenantDb, TenantTx } from '../db/tenant-scoped-db';
import { conflict, type DomainError, ErrorReason, forbidden, notFound } from '../errors/domain-error';
import { withPrismaErrors } from '../errors/prisma-error.mapper';
import type { Incident, Prisma, ReviewItem, ReviewStatus } from '../generated/prisma/client';
import { Incidents } from '../incidents/incidents';
import { type EventPublisher, LiveEvents } from '../pubsub/live-events';
import { reviewItemMessage, type ReviewItemMessage, TOPICS } from '../pubsub/topics';
import { StreamStatusOwner } from '../streams/stream-status';
import type { WebhookEventSink } from '../webhooks/webhook-events';

/** A queue's deadlines unless its ReviewQueue row says otherwise (also when it has no row). */
export const DEFAULT_CLAIM_WITHIN_SECONDS = 300;
export const DEFAULT_DECIDE_WITHIN_SECONDS = 900;

/** Statuses from which an item can be claimed (a CLAIMED one only once its claim has expired). */
const CLAIMABLE: ReviewStatus[] = ['OPEN', 'HELD', 'ESCALATED'];

/** Stream statuses in which a stream is live: its items' deadlines always run. */
export const LIVE_STREAM_STATUSES = ['ACTIVE', 'PAUSED', 'ERROR'] as const;

export type Decision = 'DISMISS' | 'CONFIRM_VIOLATION' | 'ESCALATE' | 'STOP_STREAM';

/** Who holds a claim and decides: a moderator, or an API key with the review scope. */
export type Reviewer = { kind: 'user' | 'apiKey'; id: string };

/**
 * The reason of a decision as the decider gave it: a policy reason of the tenant's list (its
 * label and policy copied), or words they typed (no policy named).
 */
export type DecisionReason = { policyReasonId: string | null; label: string; policy: string | null };

/** A change that only the moderator holding a live claim on the item may make. */
export type HolderChange =
  | { kind: 'renew'; leaseSeconds: number }
  | { kind: 'release' }
  | { kind: 'hold'; reason: string }
  | { kind: 'decide'; decision: Decision; reason: DecisionReason; notes: string | null };

const claimableNow = (): Prisma.ReviewItemWhereInput => ({
  OR: [{ status: { in: CLAIMABLE } }, { status: 'CLAIMED', claimExpiresAt: { lt: new Date() } }],
});

/** The item's claim columns for a reviewer (one of the two is set). */
const holderColumns = (reviewer: Reviewer) =>
  reviewer.kind === 'user'
    ? { assigneeId: reviewer.id, assigneeApiKeyId: null }
    : { assigneeId: null, assigneeApiKeyId: reviewer.id };

const leaseUntil = (seconds: number): Date => new Date(Date.now() + seconds * 1000);

/**
 * The owner of review items: every change of an item's state is here, each one conditional UPDATE
 * (so of racing changes exactly one wins), written with its audit event in one transaction, and
 * announced on the tenant's review-items channel once committed. A decision also closes the
 * item's incident and, for STOP_STREAM, stops the stream through the stream's own owner.
 */
export class ReviewItems {
  /** Stops streams for stop-stream decisions, announcing on the same publisher. */
  private readonly streams: StreamStatusOwner;
  /** Ends an item's incident when it is decided, reopens it with the item. */
  private readonly incidents: Incidents;

  constructor(
    private readonly publisher: EventPublisher,
    /** Partners' webhooks for decisions; null where no decision is made (the deadline clock). */
    private readonly sendWebhook: WebhookEventSink | null,
  ) {
    this.streams = new StreamStatusOwner(publisher);
    this.incidents = new Incidents(sendWebhook);
  }

  async get(db: TenantDb | TenantTx, id: string): Promise<ReviewItem> {
    const item = await db.reviewItem.findUnique({ where: { id } });
    if (!item) throw notFound('Review item');
    return item;
  }

  /**
   * The review item of a new incident, with the queue's claim deadline (the decide deadline starts
   * with a claim); the existing one if there is one. Audited as the rule's.
   */
  async ensureForIncident(
    tx: TenantTx,
    incident: Incident,
    placement: { queue: string; priority: number },
    events: LiveEvents,
  ): Promise<{ item: ReviewItem; createdNow: boolean }> {
    const existing = await tx.reviewItem.findUnique({
      where: { tenantId_incidentId: { tenantId: incident.tenantId, incidentId: incident.id } },
    });
    if (existing) return { item: existing, createdNow: false };
    const queue = await tx.reviewQueue.findUnique({
      where: { tenantId_name: { tenantId: incident.tenantId, name: placement.queue } },
    });
    const claimWithin = queue?.claimWithinSeconds ?? DEFAULT_CLAIM_WITHIN_SECONDS;
    const item = await tx.reviewItem.create({
      data: {
        tenantId: incident.tenantId,
        incidentId: incident.id,
        streamId: incident.streamId,
        queue: placement.queue,
        priority: placement.priority,
        claimDueAt: new Date(Date.now() + claimWithin * 1000),
      },
    });
    await recordAudit(tx, ruleActor(incident.tenantId, incident.ruleId), {
      action: 'reviewItem.created',
      entityType: 'ReviewItem',
      entityId: item.id,
      data: {
        incidentId: incident.id,
        queue: item.queue,
        priority: item.priority,
        claimWithinSeconds: claimWithin,
      },
    });
    await this.announce(tx, events, item, 'added');
    return { item, createdNow: true };
  }

  /** The claimable items of a queue, most urgent first (highest priority, then oldest). */
  async claimCandidates(db: TenantDb, queue: string, take: number): Promise<string[]> {
    const rows = await db.reviewItem.findMany({
      where: { queue, ...claimableNow() },
      orderBy: [{ priority: 'desc' }, { createdAt: 'asc' }],
      take,
      select: { id: true },
    });
    return rows.map((row) => row.id);
  }

  /**
   * Claims the item for `reviewer` when it is claimable now; null when someone else won it. The
   * time to decide counts from this claim.
   */
  async claim(
    db: TenantDb,
    actor: AuditActor,
    reviewer: Reviewer,
    id: string,
    leaseSeconds: number,
  ): Promise<ReviewItem | null> {
    const { queue } = await this.get(db, id);
    const settings = await db.reviewQueue.findUnique({
      where: { tenantId_name: { tenantId: actor.tenantId, name: queue } },
    });
    const decideWithin = settings?.decideWithinSeconds ?? DEFAULT_DECIDE_WITHIN_SECONDS;
    const now = Date.now();
    return this.conditionalChange(db, id, 'claimed', {
      where: { id, ...claimableNow() },
      data: {
        status: 'CLAIMED',
        ...holderColumns(reviewer),
        claimedAt: new Date(now),
        claimExpiresAt: leaseUntil(leaseSeconds),
        decideDueAt: new Date(now + decideWithin * 1000),
      },
      audit: {
        actor,
        action: 'reviewItem.claim',
        data: (claimed) => ({ queue: claimed.queue, leaseSeconds, decideWithinSeconds: decideWithin }),
      },
    });
  }

  /**
   * A change by the moderator holding a live claim, applied with the claim as the condition of the
   * UPDATE, so an expired or stolen claim cannot slip through between read and write.
   */
  async changeByHolder(
    db: TenantDb,
    actor: AuditActor,
    /** The acting reviewer; throws when the actor may not hold claims. */
    actingReviewer: () => Reviewer,
    id: string,
    change: HolderChange,
  ): Promise<ReviewItem> {
    // Another tenant's id is NOT_FOUND before anything else is said about it.
    await this.get(db, id);
    const reviewer = actingReviewer();
    const events = new LiveEvents();
    const closed = { opened: [], closed: [] as Incident[] };
    const item = await withPrismaErrors('review item', () =>
      db.$transaction(async (tx) => {
        const changed = await tx.reviewItem.updateMany({
          where: { id, status: 'CLAIMED', ...holderColumns(reviewer), claimExpiresAt: { gt: new Date() } },
          data: holderUpdate(change, reviewer),
        });
        if (changed.count === 0) throw whyNotHolder(await this.get(tx, id), reviewer);
        const updated = await this.get(tx, id);
        await recordAudit(tx, actor, {
          action: `reviewItem.${change.kind}`,
          entityType: 'ReviewItem',
          entityId: id,
          data: holderAuditData(change),
        });
        if (change.kind === 'decide') {
          const ended = await this.carryOutDecision(tx, actor, updated, change, events);
          if (ended) closed.closed.push(ended);
        }
        const event = holderEvent(change);
        if (event) await this.announce(tx, events, updated, event);
        return updated;
      }),
    );
    await events.publish(this.publisher);
    await this.incidents.announce(db, actor.tenantId, closed);
    if (change.kind === 'decide') await this.decisionWebhooks(actor.tenantId, item, change);
    return item;
  }

  /** Gives the item to a named moderator: an admin may, or the moderator holding it. */
  async reassign(
    db: TenantDb,
    actor: AuditActor & { role: string },
    /** The acting reviewer; throws when the actor may not hold claims. */
    actingReviewer: () => Reviewer,
    id: string,
    to: string,
    leaseSeconds: number,
  ): Promise<ReviewItem> {
    const events = new LiveEvents();
    const item = await withPrismaErrors('review item', () =>
      db.$transaction(async (tx) => {
        const current = await this.get(tx, id);
        if (current.status === 'RESOLVED') throw alreadyResolved();
        const holder = current.status === 'CLAIMED' && holds(current, actingReviewer());
        if (actor.role !== 'ADMIN' && !holder)
          throw forbidden('Only an admin or the moderator holding the item can reassign it');
        const settings = await tx.reviewQueue.findUnique({
          where: { tenantId_name: { tenantId: actor.tenantId, name: current.queue } },
        });
        const now = Date.now();
        const updated = await tx.reviewItem.update({
          where: { id },
          data: {
            status: 'CLAIMED',
            ...holderColumns({ kind: 'user', id: to }),
            claimedAt: new Date(now),
            claimExpiresAt: leaseUntil(leaseSeconds),
            decideDueAt: new Date(
              now + (settings?.decideWithinSeconds ?? DEFAULT_DECIDE_WITHIN_SECONDS) * 1000,
            ),
          },
        });
        await recordAudit(tx, actor, {
          action: 'reviewItem.reassign',
          entityType: 'ReviewItem',
          entityId: id,
          data: { from: current.assigneeId ?? current.assigneeApiKeyId, to },
        });
        await this.announce(tx, events, updated, 'reassigned');
        return updated;
      }),
    );
    await events.publish(this.publisher);
    return item;
  }

  /** Reopens an item a rule dismissed automatically, with its incident, for a person to decide. */
  async reopen(db: TenantDb, actor: AuditActor, id: string): Promise<ReviewItem> {
    const events = new LiveEvents();
    const item = await db.$transaction(async (tx) => {
      const reopened = await tx.reviewItem.updateMany({
        where: { id, status: 'RESOLVED', decision: 'AUTO_DISMISS' },
        data: {
          status: 'OPEN',
          decision: null,
          decidedAt: null,
          decidedById: null,
          decidedByApiKeyId: null,
          assigneeId: null,
          assigneeApiKeyId: null,
          reason: null,
          policy: null,
          policyReasonId: null,
        },
      });
      if (reopened.count === 0) {
        await this.get(tx, id);
        throw conflict(
          'Only an item dismissed automatically by a rule can be reopened',
          ErrorReason.INVALID_TRANSITION,
        );
      }
      const updated = await this.get(tx, id);
      await recordAudit(tx, actor, { action: 'reviewItem.reopen', entityType: 'ReviewItem', entityId: id });
      await this.incidents.reopen(tx, updated.incidentId, actor);
      await this.announce(tx, events, updated, 'reopened');
      return updated;
    });
    await events.publish(this.publisher);
    return item;
  }

  /**
   * Resolves items a rule run just opened when the result's confidence is below the rule's
   * auto-dismiss threshold; an item someone already claimed is left to them.
   */
  async autoDismiss(
    db: TenantDb,
    tenantId: string,
    ruleId: string,
    ids: string[],
    reason: string,
  ): Promise<number> {
    let dismissed = 0;
    for (const id of ids) {
      const resolved = await this.conditionalChange(db, id, 'resolved', {
        where: { id, status: 'OPEN' },
        data: { status: 'RESOLVED', decision: 'AUTO_DISMISS', reason, decidedAt: new Date() },
        audit: { actor: ruleActor(tenantId, ruleId), action: 'reviewItem.autoDismissed', data: { reason } },
      });
      if (resolved) dismissed += 1;
    }
    return dismissed;
  }

  /** Claims whose lease ran out by `now` go back to OPEN (at most `limit` per call). */
  async expireClaims(db: TenantDb, tenantId: string, now: Date, limit: number): Promise<number> {
    const expired = await db.reviewItem.findMany({
      where: { status: 'CLAIMED', claimExpiresAt: { lt: now } },
      select: { id: true },
      take: limit,
    });
    let released = 0;
    for (const { id } of expired) {
      const changed = await this.conditionalChange(db, id, 'released', {
        where: { id, status: 'CLAIMED', claimExpiresAt: { lt: now } },
        data: {
          status: 'OPEN',
          assigneeId: null,
          assigneeApiKeyId: null,
          claimedAt: null,
          claimExpiresAt: null,
          decideDueAt: null,
        },
        audit: { actor: systemActor(tenantId, 'review-deadlines'), action: 'reviewItem.claimExpired' },
      });
      if (changed) released += 1;
    }
    return released;
  }

  /**
   * Items not claimed by their claimDueAt, or not decided by their decideDueAt (counted from the
   * claim), escalate themselves, once: always while their stream is live, and once it is not
   * (stopped, ended) only in queues whose policy says so (whenStreamNotLive ESCALATE, the default).
   */
  async escalateLate(db: TenantDb, tenantId: string, now: Date, limit: number): Promise<number> {
    const paused = await db.reviewQueue.findMany({
      where: { whenStreamNotLive: 'PAUSE' },
      select: { name: true },
    });
    const late = await db.reviewItem.findMany({
      where: {
        escalatedAt: null,
        AND: [
          {
            OR: [
              { status: 'OPEN', claimDueAt: { lt: now } },
              { status: 'CLAIMED', decideDueAt: { lt: now } },
            ],
          },
          {
            OR: [
              { stream: { status: { in: [...LIVE_STREAM_STATUSES] } } },
              { queue: { notIn: paused.map((queue) => queue.name) } },
            ],
          },
        ],
      },
      select: { id: true, status: true },
      take: limit,
    });
    let escalated = 0;
    for (const { id, status } of late) {
      const changed = await this.conditionalChange(db, id, 'escalated', {
        where: { id, status, escalatedAt: null },
        data: {
          status: 'ESCALATED',
          escalatedAt: now,
          assigneeId: null,
          assigneeApiKeyId: null,
          claimedAt: null,
          claimExpiresAt: null,
        },
        audit: {
          actor: systemActor(tenantId, 'review-deadlines'),
          action: 'reviewItem.deadlineEscalated',
          data: { missed: status === 'OPEN' ? 'time to claim' : 'time to decide' },
        },
      });
      if (changed) escalated += 1;
    }
    return escalated;
  }

  /**
   * One conditional UPDATE of an item: when its condition still holds, the change is written with
   * its audit event (if any) and announced once committed; null when someone else changed the
   * item first.
   */
  private async conditionalChange(
    db: TenantDb,
    id: string,
    event: ReviewItemMessage['type'],
    change: {
      where: Prisma.ReviewItemWhereInput;
      data: Prisma.ReviewItemUpdateManyMutationInput;
      audit?: {
        actor: AuditActor;
        action: string;
        data?: Prisma.InputJsonValue | ((item: ReviewItem) => Prisma.InputJsonValue);
      };
    },
  ): Promise<ReviewItem | null> {
    const events = new LiveEvents();
    const item = await db.$transaction(async (tx) => {
      const result = await tx.reviewItem.updateMany({ where: change.where, data: change.data });
      if (result.count === 0) return null;
      const updated = await this.get(tx, id);
      const audit = change.audit;
      if (audit) {
        const data = typeof audit.data === 'function' ? audit.data(updated) : audit.data;
        await recordAudit(tx, audit.actor, {
          action: audit.action,
          entityType: 'ReviewItem',
          entityId: id,
          ...(data ? { data } : {}),
        });
      }
      await this.announce(tx, events, updated, event);
      return updated;
    });
    await events.publish(this.publisher);
    return item;
  }

  /**
   * What a decision does beside the item: its incident ends (returned, for partners); a
   * stop-stream decision stops the stream.
   */
  private async carryOutDecision(
    tx: TenantTx,
    actor: AuditActor,
    item: ReviewItem,
    change: Extract<HolderChange, { kind: 'decide' }>,
    events: LiveEvents,
  ): Promise<Incident | null> {
    if (change.decision === 'ESCALATE') return null;
    const closed = await this.incidents.closeForDecision(tx, item.incidentId, actor);
    if (change.decision === 'STOP_STREAM') {
      await this.streams.stopForDecision(tx, item.streamId, change.reason.label, events);
    }
    return closed;
  }

  /** Partners hear of decisions through webhooks (recorded in PostgreSQL first, keyed by the item). */
  private async decisionWebhooks(
    tenantId: string,
    item: ReviewItem,
    change: Extract<HolderChange, { kind: 'decide' }>,
  ): Promise<void> {
    if (!this.sendWebhook || change.decision === 'ESCALATE') return;
    const { decision, reason } = change;
    if (decision === 'STOP_STREAM') {
      await this.sendWebhook(tenantId, 'stream.stopped', `stream.stopped:${item.id}`, {
        streamId: item.streamId,
        reviewItemId: item.id,
        incidentId: item.incidentId,
        reason: reason.label,
      });
    }
    await this.sendWebhook(tenantId, 'review.resolved', `review.resolved:${item.id}`, {
      reviewItemId: item.id,
      incidentId: item.incidentId,
      streamId: item.streamId,
      decision,
      reason: reason.label,
      policy: reason.policy,
      decidedBy: item.decidedById
        ? { type: 'user', id: item.decidedById }
        : { type: 'apiKey', id: item.decidedByApiKeyId },
    });
  }

  /** Queues the item's live event with what a queue row shows: the incident's summary and severity, the stream's name. */
  private async announce(
    tx: TenantTx,
    events: LiveEvents,
    item: ReviewItem,
    type: ReviewItemMessage['type'],
  ): Promise<void> {
    const [incident, stream] = await Promise.all([
      tx.incident.findUnique({ where: { id: item.incidentId }, select: { summary: true, severity: true } }),
      tx.stream.findUnique({ where: { id: item.streamId }, select: { name: true, status: true } }),
    ]);
    events.add(
      TOPICS.reviewItems(item.tenantId),
      reviewItemMessage(item, type, {
        summary: incident?.summary ?? '',
        severity: incident?.severity ?? null,
        streamName: stream?.name ?? null,
        streamLive: stream ? (LIVE_STREAM_STATUSES as readonly string[]).includes(stream.status) : false,
      }),
    );
  }
}

/** Whether `reviewer` holds the item's claim (live or not). */
/**
 * Retention deletes the decided (RESOLVED) review item of an incident it purges, with its notes,
 * audited as `reviewItem.purged` by `actor` (the retention job) in the caller's transaction, which
 * deletes the incident too. An incident without an item is fine (true); an item not decided, or
 * reopened meanwhile, is kept (false), and the caller keeps the incident.
 */
export async function purgeDecidedReviewItem(
  tx: TenantTx,
  actor: AuditActor,
  incidentId: string,
): Promise<boolean> {
  const item = await tx.reviewItem.findUnique({
    where: { tenantId_incidentId: { tenantId: actor.tenantId, incidentId } },
  });
  if (!item) return true;
  if (item.status !== 'RESOLVED') return false;
  const notes = await tx.reviewNote.count({ where: { reviewItemId: item.id } });
  const { count } = await tx.reviewItem.deleteMany({ where: { id: item.id, status: 'RESOLVED' } });
  if (count === 0) return false;
  await recordAudit(tx, actor, {
    action: 'reviewItem.purged',
    entityType: 'ReviewItem',
    entityId: item.id,
    data: {
      incidentId,
      decision: item.decision,
      decidedAt: item.decidedAt?.toISOString() ?? null,
      reason: item.reason,
      notes,
    },
  });
  return true;
}

function holds(item: ReviewItem, reviewer: Reviewer): boolean {
  return reviewer.kind === 'user' ? item.assigneeId === reviewer.id : item.assigneeApiKeyId === reviewer.id;
}

export const alreadyResolved = (): DomainError =>
  conflict('This review item is already resolved', ErrorReason.ALREADY_RESOLVED);

/** Why a change by the claim's holder did not apply: the reason tells a client what to do next. */
function whyNotHolder(current: ReviewItem, reviewer: Reviewer): DomainError {
  if (current.status === 'RESOLVED') return alreadyResolved();
  const message = 'Claim the review item first (your claim may have expired)';
  if (current.status !== 'CLAIMED') return conflict(message, ErrorReason.NOT_CLAIMED);
  if (!holds(current, reviewer)) return conflict(message, ErrorReason.CLAIMED_BY_OTHER);
  return conflict(message, ErrorReason.CLAIM_EXPIRED);
}

/** Columns that no longer hold once the item leaves its holder. */
const UNCLAIMED = {
  assigneeId: null,
  assigneeApiKeyId: null,
  claimedAt: null,
  claimExpiresAt: null,
  decideDueAt: null,
} as const;

function holderUpdate(change: HolderChange, reviewer: Reviewer): Prisma.ReviewItemUpdateManyMutationInput {
  switch (change.kind) {
    case 'renew':
      return { claimExpiresAt: leaseUntil(change.leaseSeconds) };
    case 'release':
      return { status: 'OPEN', ...UNCLAIMED };
    case 'hold':
      return { status: 'HELD', ...UNCLAIMED, reason: change.reason };
    case 'decide': {
      const { decision, reason, notes } = change;
      const chosen = {
        decision,
        reason: reason.label,
        policy: reason.policy,
        policyReasonId: reason.policyReasonId,
        notes,
      };
      if (decision === 'ESCALATE')
        return { status: 'ESCALATED', ...chosen, ...UNCLAIMED, escalatedAt: new Date() };
      return {
        status: 'RESOLVED',
        ...chosen,
        claimExpiresAt: null,
        decidedAt: new Date(),
        ...(reviewer.kind === 'user'
          ? { decidedById: reviewer.id, decidedByApiKeyId: null }
          : { decidedById: null, decidedByApiKeyId: reviewer.id }),
      };
    }
  }
}

function holderAuditData(change: HolderChange): Prisma.InputJsonValue {
  switch (change.kind) {
    case 'renew':
    case 'release':
      return {};
    case 'hold':
      return { reason: change.reason };
    case 'decide':
      return {
        decision: change.decision,
        reason: change.reason.label,
        policy: change.reason.policy,
        policyReasonId: change.reason.policyReasonId,
        notes: change.notes,
      };
  }
}

function holderEvent(change: HolderChange): ReviewItemMessage['type'] | null {
  switch (change.kind) {
    case 'renew':
      return null;
    case 'release':
      return 'released';
    case 'hold':
      return 'held';
    case 'decide':
      return change.decision === 'ESCALATE' ? 'escalated' : 'resolved';
  }
}
