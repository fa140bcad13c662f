import type Redis from 'ioredis';
import { z } from 'zod';
import type { Actor } from '../auth/permissions';
import type { PrismaClient } from '../db/prisma-client';
import type { TenantDb, TenantTx } from '../db/tenant-scoped-db';
import { conflict, forbidden, notFound } from '../errors/domain-error';
import { withPrismaErrors } from '../errors/prisma-error.mapper';
import { validateInput } from '../errors/validate-input';
import type { ReviewItem, ReviewQueue, ReviewStatus } from '../generated/prisma/client';
import { publishEvent } from '../pubsub/event-bus';
import { reviewItemEvent, ReviewItemEvent, StreamStatusEvent, TOPICS } from '../pubsub/topics';
import type { WebhookEventSink } from '../webhooks/webhook-events';
import { recordAudit } from './audit.service';
import { requireId } from './input-schemas';
import { Connection, PageArgs, paginate } from './pagination';

/** How long a claim lasts unless renewed, by default and at most. */
export const DEFAULT_CLAIM_SECONDS = 120;
export const MAX_CLAIM_SECONDS = 900;

/** A queue's deadlines unless its ReviewQueue row says otherwise (also when it has no row). */
export const DEFAULT_CLAIM_WITHIN_SECONDS = 300;
export const DEFAULT_DECIDE_WITHIN_SECONDS = 900;

/** Statuses from which an item can be claimed (a CLAIMED one only once its claim has expired). */
const CLAIMABLE: ReviewStatus[] = ['OPEN', 'HELD', 'ESCALATED'];

const queueNameSchema = z.string().trim().min(1).max(60);
const claimSecondsSchema = z.number().int().min(10).max(MAX_CLAIM_SECONDS).default(DEFAULT_CLAIM_SECONDS);
const reasonSchema = z.string().trim().min(1).max(1000);
// Nullable in GraphQL (ReviewDecisionInput.notes: String): null and absent both mean no notes.
const notesSchema = z.string().max(5000).nullish();

const decisionSchema = z.object({
  decision: z.enum(['DISMISS', 'CONFIRM_VIOLATION', 'ESCALATE', 'STOP_STREAM']),
  reason: reasonSchema,
  notes: notesSchema,
});

const queueSettingsSchema = z.object({
  name: queueNameSchema,
  claimWithinSeconds: z
    .number()
    .int()
    .min(10)
    .max(7 * 86_400)
    .default(DEFAULT_CLAIM_WITHIN_SECONDS),
  decideWithinSeconds: z
    .number()
    .int()
    .min(10)
    .max(7 * 86_400)
    .default(DEFAULT_DECIDE_WITHIN_SECONDS),
});

export type DecisionInput = { decision?: unknown; reason?: unknown; notes?: unknown };
export type QueueSettingsInput = {
  name?: unknown;
  claimWithinSeconds?: unknown;
  decideWithinSeconds?: unknown;
};

/**
 * Review queues: moderators claim items (atomically: of many claims on one item exactly one wins),
 * hold, escalate, release and decide them; claims are leases that expire unless renewed; every
 * claim and decision is written to the audit log in the same transaction as the change, and
 * announced on the tenant's review-items channel after it commits.
 */
export class ReviewService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly redis: Redis,
    private readonly sendWebhook: WebhookEventSink | null,
  ) {}

  async list(
    db: TenantDb,
    page: PageArgs,
    filter: { queue?: string | null; status?: ReviewStatus[] | null; streamId?: string | null },
  ): Promise<Connection<ReviewItem>> {
    const streamId = filter.streamId ? requireId(filter.streamId, 'streamId') : null;
    // Another tenant's stream is NOT_FOUND, as in every other stream filter.
    if (streamId && !(await db.stream.findUnique({ where: { id: streamId }, select: { id: true } }))) {
      throw notFound('Stream');
    }
    return paginate(page, (query) =>
      db.reviewItem.findMany({
        ...query,
        where: {
          ...query.where,
          ...(filter.queue ? { queue: filter.queue } : {}),
          ...(filter.status?.length ? { status: { in: filter.status } } : {}),
          ...(streamId ? { streamId } : {}),
        },
      }),
    );
  }

  async get(db: TenantDb | TenantTx, reviewItemId: string): Promise<ReviewItem> {
    const item = await db.reviewItem.findUnique({ where: { id: requireId(reviewItemId, 'reviewItemId') } });
    if (!item) throw notFound('Review item');
    return item;
  }

  listQueues(db: TenantDb): Promise<ReviewQueue[]> {
    return db.reviewQueue.findMany({ orderBy: { name: 'asc' } });
  }

  async upsertQueue(db: TenantDb, actor: Actor, input: QueueSettingsInput): Promise<ReviewQueue> {
    const settings = validateInput(queueSettingsSchema, input);
    return withPrismaErrors('review queue', () =>
      db.$transaction(async (tx) => {
        const queue = await tx.reviewQueue.upsert({
          where: { tenantId_name: { tenantId: actor.tenantId, name: settings.name } },
          create: { tenantId: actor.tenantId, ...settings },
          update: {
            claimWithinSeconds: settings.claimWithinSeconds,
            decideWithinSeconds: settings.decideWithinSeconds,
          },
        });
        await recordAudit(tx, actor, {
          action: 'reviewQueue.upsert',
          entityType: 'ReviewQueue',
          entityId: queue.id,
          data: settings,
        });
        return queue;
      }),
    );
  }

  /**
   * Claims an item for the actor for `leaseSeconds`. The claim is one conditional UPDATE: of
   * several moderators claiming the same item at once, exactly one matches the condition.
   */
  async claim(db: TenantDb, actor: Actor, reviewItemId: string, leaseSeconds?: unknown): Promise<ReviewItem> {
    const id = requireId(reviewItemId, 'reviewItemId');
    const seconds = validateInput(claimSecondsSchema, leaseSeconds ?? undefined, 'leaseSeconds');
    // Another tenant's id is NOT_FOUND before anything else is said about it.
    await this.get(db, id);
    const item = await this.claimOne(db, actor, id, seconds);
    if (!item) {
      const current = await this.get(db, id);
      throw conflict(
        current.status === 'RESOLVED'
          ? 'This review item is already resolved'
          : 'This review item is claimed by another moderator',
      );
    }
    return item;
  }

  /** Claims the queue's most urgent claimable item (highest priority, then oldest); null when none. */
  async claimNext(
    db: TenantDb,
    actor: Actor,
    queue: string,
    leaseSeconds?: unknown,
  ): Promise<ReviewItem | null> {
    const name = validateInput(queueNameSchema, queue, 'queue');
    const seconds = validateInput(claimSecondsSchema, leaseSeconds ?? undefined, 'leaseSeconds');
    for (let round = 0; round < 5; round++) {
      const candidates = await db.reviewItem.findMany({
        where: { queue: name, ...this.claimableNow() },
        orderBy: [{ priority: 'desc' }, { createdAt: 'asc' }],
        take: 10,
        select: { id: true },
      });
      if (candidates.length === 0) return null;
      // Others race for the same items: try them in order until one claim wins.
      for (const candidate of candidates) {
        const item = await this.claimOne(db, actor, candidate.id, seconds);
        if (item) return item;
      }
    }
    return null;
  }

  private claimableNow() {
    return {
      OR: [{ status: { in: CLAIMABLE } }, { status: 'CLAIMED' as const, claimExpiresAt: { lt: new Date() } }],
    };
  }

  private async claimOne(
    db: TenantDb,
    actor: Actor,
    id: string,
    seconds: number,
  ): Promise<ReviewItem | null> {
    const userId = this.userOf(actor);
    const item = await db.$transaction(async (tx) => {
      const won = await tx.reviewItem.updateMany({
        where: { id, ...this.claimableNow() },
        data: {
          status: 'CLAIMED',
          assigneeId: userId,
          claimExpiresAt: new Date(Date.now() + seconds * 1000),
        },
      });
      if (won.count === 0) return null;
      const claimed = await this.get(tx, id);
      await recordAudit(tx, actor, {
        action: 'reviewItem.claim',
        entityType: 'ReviewItem',
        entityId: id,
        data: { queue: claimed.queue, leaseSeconds: seconds },
      });
      return claimed;
    });
    if (item) await this.announce(item, 'claimed');
    return item;
  }

  /** Extends the actor's own claim. */
  async renew(db: TenantDb, actor: Actor, reviewItemId: string, leaseSeconds?: unknown): Promise<ReviewItem> {
    const id = requireId(reviewItemId, 'reviewItemId');
    const seconds = validateInput(claimSecondsSchema, leaseSeconds ?? undefined, 'leaseSeconds');
    return this.ownChange(db, actor, id, 'reviewItem.renew', null, () => ({
      claimExpiresAt: new Date(Date.now() + seconds * 1000),
    }));
  }

  /** Gives the actor's claim back: the item is OPEN for others. */
  release(db: TenantDb, actor: Actor, reviewItemId: string): Promise<ReviewItem> {
    return this.ownChange(
      db,
      actor,
      requireId(reviewItemId, 'reviewItemId'),
      'reviewItem.release',
      'released',
      () => ({
        status: 'OPEN',
        assigneeId: null,
        claimExpiresAt: null,
      }),
    );
  }

  /** Parks the item (waiting for something); it stays out of the way until claimed again. */
  hold(db: TenantDb, actor: Actor, reviewItemId: string, reason: unknown): Promise<ReviewItem> {
    const why = validateInput(reasonSchema, reason, 'reason');
    return this.ownChange(
      db,
      actor,
      requireId(reviewItemId, 'reviewItemId'),
      'reviewItem.hold',
      'held',
      () => ({ status: 'HELD', assigneeId: null, claimExpiresAt: null, reason: why }),
      { reason: why },
    );
  }

  /**
   * The one decision on an item, by the moderator holding its claim. ESCALATE hands it on
   * (status ESCALATED, claimable by someone more senior); STOP_STREAM also stops the stream and
   * tells the partner through a webhook.
   */
  async decide(db: TenantDb, actor: Actor, reviewItemId: string, input: DecisionInput): Promise<ReviewItem> {
    const id = requireId(reviewItemId, 'reviewItemId');
    const { decision, reason, notes } = validateInput(decisionSchema, input);
    const escalate = decision === 'ESCALATE';
    const item = await this.ownChange(
      db,
      actor,
      id,
      `reviewItem.decide`,
      escalate ? 'escalated' : 'resolved',
      () => ({
        status: escalate ? 'ESCALATED' : 'RESOLVED',
        decision,
        reason,
        notes: notes ?? null,
        assigneeId: escalate ? null : this.userOf(actor),
        claimExpiresAt: null,
        ...(escalate
          ? { escalatedAt: new Date() }
          : { decidedById: this.userOf(actor), decidedAt: new Date() }),
      }),
      { decision, reason, notes: notes ?? null },
      async (tx, updated) => {
        if (!escalate)
          await tx.incident.updateMany({ where: { id: updated.incidentId }, data: { status: 'CLOSED' } });
        if (decision === 'STOP_STREAM') {
          await tx.stream.updateMany({
            where: { id: updated.streamId },
            data: { status: 'STOPPED', lastError: `stopped by a moderator: ${reason}` },
          });
        }
      },
    );
    if (decision === 'STOP_STREAM') {
      // The stream was stopped inside the decision's transaction: tell its subscribers too.
      const stopped: StreamStatusEvent = {
        streamId: item.streamId,
        status: 'STOPPED',
        lastError: `stopped by a moderator: ${reason}`,
      };
      await publishEvent(this.redis, TOPICS.streamStatus(actor.tenantId), stopped).catch(() => undefined);
    }
    if (decision === 'STOP_STREAM' && this.sendWebhook) {
      await this.sendWebhook(actor.tenantId, 'stream.stopped', `stream.stopped:${item.id}`, {
        streamId: item.streamId,
        reviewItemId: item.id,
        incidentId: item.incidentId,
        reason,
      });
    }
    if (!escalate && this.sendWebhook) {
      await this.sendWebhook(actor.tenantId, 'review.resolved', `review.resolved:${item.id}`, {
        reviewItemId: item.id,
        incidentId: item.incidentId,
        streamId: item.streamId,
        decision,
        reason,
      });
    }
    return item;
  }

  /** Gives the item to a named moderator (an admin, or the moderator holding it). */
  async reassign(db: TenantDb, actor: Actor, reviewItemId: string, userId: string, leaseSeconds?: unknown) {
    const id = requireId(reviewItemId, 'reviewItemId');
    const to = requireId(userId, 'userId');
    const seconds = validateInput(claimSecondsSchema, leaseSeconds ?? undefined, 'leaseSeconds');
    const user = await db.user.findUnique({ where: { id: to } });
    if (!user || user.disabledAt) throw notFound('User');
    if (user.role === 'AUDITOR') throw conflict('An auditor cannot take review items');
    const item = await withPrismaErrors('review item', () =>
      db.$transaction(async (tx) => {
        const current = await this.get(tx, id);
        if (current.status === 'RESOLVED') throw conflict('This review item is already resolved');
        const holder = current.status === 'CLAIMED' && current.assigneeId === this.userOf(actor);
        if (actor.role !== 'ADMIN' && !holder)
          throw forbidden('Only an admin or the moderator holding the item can reassign it');
        const updated = await tx.reviewItem.update({
          where: { id },
          data: { status: 'CLAIMED', assigneeId: to, claimExpiresAt: new Date(Date.now() + seconds * 1000) },
        });
        await recordAudit(tx, actor, {
          action: 'reviewItem.reassign',
          entityType: 'ReviewItem',
          entityId: id,
          data: { from: current.assigneeId, to },
        });
        return updated;
      }),
    );
    await this.announce(item, 'reassigned');
    return item;
  }

  /** Reopens an item a rule dismissed automatically (below its confidence threshold). */
  async reopen(db: TenantDb, actor: Actor, reviewItemId: string): Promise<ReviewItem> {
    const id = requireId(reviewItemId, 'reviewItemId');
    const item = await db.$transaction(async (tx) => {
      const reopened = await tx.reviewItem.updateMany({
        where: { id, status: 'RESOLVED', decision: 'AUTO_DISMISS' },
        data: { status: 'OPEN', decision: null, decidedAt: null, decidedById: null, assigneeId: null },
      });
      if (reopened.count === 0) {
        await this.get(tx, id);
        throw conflict('Only an item dismissed automatically by a rule can be reopened');
      }
      const updated = await this.get(tx, id);
      await tx.incident.updateMany({ where: { id: updated.incidentId }, data: { status: 'OPEN' } });
      await recordAudit(tx, actor, { action: 'reviewItem.reopen', entityType: 'ReviewItem', entityId: id });
      return updated;
    });
    await this.announce(item, 'reopened');
    return item;
  }

  /**
   * A change only the moderator holding a live claim may make, applied with the claim as the
   * condition of the UPDATE, so an expired or stolen claim cannot slip through between read and write.
   */
  private async ownChange(
    db: TenantDb,
    actor: Actor,
    id: string,
    action: string,
    event: ReviewItemEvent['type'] | null,
    data: () => Record<string, unknown>,
    auditData: Record<string, unknown> = {},
    alsoInTx?: (tx: TenantTx, updated: ReviewItem) => Promise<void>,
  ): Promise<ReviewItem> {
    await this.get(db, id);
    const userId = this.userOf(actor);
    const item = await withPrismaErrors('review item', () =>
      db.$transaction(async (tx) => {
        const changed = await tx.reviewItem.updateMany({
          where: { id, status: 'CLAIMED', assigneeId: userId, claimExpiresAt: { gt: new Date() } },
          data: data(),
        });
        if (changed.count === 0) {
          const current = await this.get(tx, id);
          if (current.status === 'RESOLVED') throw conflict('This review item is already resolved');
          throw conflict('Claim the review item first (your claim may have expired)');
        }
        const updated = await this.get(tx, id);
        await alsoInTx?.(tx, updated);
        await recordAudit(tx, actor, {
          action,
          entityType: 'ReviewItem',
          entityId: id,
          data: auditData as never,
        });
        return updated;
      }),
    );
    if (event) await this.announce(item, event);
    return item;
  }

  /** Claims belong to people: an API key acts for no moderator. */
  private userOf(actor: Actor): string {
    if (actor.kind !== 'user')
      throw forbidden('Review items are claimed and decided by a signed-in moderator');
    return actor.id;
  }

  private async announce(item: ReviewItem, type: ReviewItemEvent['type']): Promise<void> {
    await publishEvent(this.redis, TOPICS.reviewItems(item.tenantId), reviewItemEvent(item, type)).catch(
      () => undefined,
    );
  }
}
