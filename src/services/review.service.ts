import type Redis from 'ioredis';
import { z } from 'zod';
import { type Actor, hasScope } from '../auth/permissions';
import type { TenantDb, TenantTx } from '../db/tenant-scoped-db';
import { badInput, conflict, ErrorReason, forbidden, notFound } from '../errors/domain-error';
import { withPrismaErrors } from '../errors/prisma-error.mapper';
import { validateInput } from '../errors/validate-input';
import type { ReviewItem, ReviewNote, ReviewQueue, ReviewStatus } from '../generated/prisma/client';
import { redisPublisher } from '../pubsub/live-events';
import {
  alreadyResolved,
  DEFAULT_CLAIM_WITHIN_SECONDS,
  DEFAULT_DECIDE_WITHIN_SECONDS,
  ReviewItems,
  type Decision,
  type DecisionReason,
  type Reviewer,
} from '../review/review-items';
import { ReviewNotes } from '../review/review-notes';
import type { WebhookEventSink } from '../webhooks/webhook-events';
import { recordAudit } from '../audit/audit-log';
import { requireId } from './input-schemas';
import { Connection, PageArgs, paginate } from './pagination';

/** How long a claim lasts unless renewed, by default and at most. */
export const DEFAULT_CLAIM_SECONDS = 120;
export const MAX_CLAIM_SECONDS = 900;

const queueNameSchema = z.string().trim().min(1).max(60);
const claimSecondsSchema = z.number().int().min(10).max(MAX_CLAIM_SECONDS).default(DEFAULT_CLAIM_SECONDS);
const reasonSchema = z.string().trim().min(1).max(1000);
const noteSchema = z.string().trim().min(1).max(5000);
// Nullable in GraphQL (ReviewDecisionInput.notes: String): null and absent both mean no notes.
const notesSchema = z.string().max(5000).nullish();

const decisionSchema = z.object({
  decision: z.enum(['DISMISS', 'CONFIRM_VIOLATION', 'ESCALATE', 'STOP_STREAM']),
  // One of the two: a policy reason from the tenant's list, or the decider's own words.
  policyReasonId: z.uuid({ message: 'is not an id' }).nullish(),
  reason: reasonSchema.nullish(),
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
  whenStreamNotLive: z.enum(['ESCALATE', 'PAUSE']).default('ESCALATE'),
});

export type DecisionInput = {
  decision?: unknown;
  policyReasonId?: unknown;
  reason?: unknown;
  notes?: unknown;
};
export type QueueSettingsInput = {
  name?: unknown;
  claimWithinSeconds?: unknown;
  decideWithinSeconds?: unknown;
  whenStreamNotLive?: unknown;
};

/**
 * Review queues as moderators and admins use them: input checked, claims kept for people, queue
 * settings. Every change of an item's state is made by its owner (ReviewItems), which writes it
 * with its audit event and announces it once committed.
 */
export class ReviewService {
  private readonly items: ReviewItems;
  private readonly notes = new ReviewNotes();

  constructor(redis: Redis, sendWebhook: WebhookEventSink | null) {
    this.items = new ReviewItems(redisPublisher(redis), sendWebhook);
  }

  async list(
    db: TenantDb,
    page: PageArgs,
    filter: {
      queue?: string | null;
      status?: ReviewStatus[] | null;
      streamId?: string | null;
      newestFirst?: boolean | null;
    },
  ): Promise<Connection<ReviewItem>> {
    const streamId = filter.streamId ? requireId(filter.streamId, 'streamId') : null;
    // Another tenant's stream is NOT_FOUND, as in every other stream filter.
    if (streamId && !(await db.stream.findUnique({ where: { id: streamId }, select: { id: true } }))) {
      throw notFound('Stream');
    }
    return paginate(
      page,
      (query) =>
        db.reviewItem.findMany({
          ...query,
          where: {
            ...query.where,
            ...(filter.queue ? { queue: filter.queue } : {}),
            ...(filter.status?.length ? { status: { in: filter.status } } : {}),
            ...(streamId ? { streamId } : {}),
          },
        }),
      filter.newestFirst ? 'desc' : 'asc',
    );
  }

  get(db: TenantDb | TenantTx, reviewItemId: string): Promise<ReviewItem> {
    return this.items.get(db, requireId(reviewItemId, 'reviewItemId'));
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
            whenStreamNotLive: settings.whenStreamNotLive,
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
   * Claims an item for the actor for `leaseSeconds`. Of several moderators claiming the same item
   * at once, exactly one wins; the others hear who has it.
   */
  async claim(db: TenantDb, actor: Actor, reviewItemId: string, leaseSeconds?: unknown): Promise<ReviewItem> {
    const id = requireId(reviewItemId, 'reviewItemId');
    const seconds = validateInput(claimSecondsSchema, leaseSeconds ?? undefined, 'leaseSeconds');
    // Another tenant's id is NOT_FOUND before anything else is said about it.
    await this.items.get(db, id);
    const item = await this.items.claim(db, actor, this.reviewerOf(actor), id, seconds);
    if (!item) {
      const current = await this.items.get(db, id);
      if (current.status === 'RESOLVED') throw alreadyResolved();
      throw conflict('This review item is claimed by another moderator', ErrorReason.CLAIMED_BY_OTHER);
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
      const candidates = await this.items.claimCandidates(db, name, 10);
      if (candidates.length === 0) return null;
      const reviewer = this.reviewerOf(actor);
      // Others race for the same items: try them in order until one claim wins.
      for (const id of candidates) {
        const item = await this.items.claim(db, actor, reviewer, id, seconds);
        if (item) return item;
      }
    }
    return null;
  }

  /** Extends the actor's own claim. */
  renew(db: TenantDb, actor: Actor, reviewItemId: string, leaseSeconds?: unknown): Promise<ReviewItem> {
    const id = requireId(reviewItemId, 'reviewItemId');
    const seconds = validateInput(claimSecondsSchema, leaseSeconds ?? undefined, 'leaseSeconds');
    return this.items.changeByHolder(db, actor, () => this.reviewerOf(actor), id, {
      kind: 'renew',
      leaseSeconds: seconds,
    });
  }

  /** Gives the actor's claim back: the item is OPEN for others. */
  release(db: TenantDb, actor: Actor, reviewItemId: string): Promise<ReviewItem> {
    const id = requireId(reviewItemId, 'reviewItemId');
    return this.items.changeByHolder(db, actor, () => this.reviewerOf(actor), id, { kind: 'release' });
  }

  /** Parks the item (waiting for something); it stays out of the way until claimed again. */
  hold(db: TenantDb, actor: Actor, reviewItemId: string, reason: unknown): Promise<ReviewItem> {
    const id = requireId(reviewItemId, 'reviewItemId');
    const why = validateInput(reasonSchema, reason, 'reason');
    return this.items.changeByHolder(db, actor, () => this.reviewerOf(actor), id, {
      kind: 'hold',
      reason: why,
    });
  }

  /**
   * The one decision on an item, by the moderator holding its claim. ESCALATE hands it on
   * (status ESCALATED, claimable by someone more senior); STOP_STREAM also stops the stream and
   * tells the partner through a webhook.
   */
  async decide(db: TenantDb, actor: Actor, reviewItemId: string, input: DecisionInput): Promise<ReviewItem> {
    const id = requireId(reviewItemId, 'reviewItemId');
    // Another tenant's item is NOT_FOUND before anything else is said about the decision.
    await this.items.get(db, id);
    const parsed = validateInput(decisionSchema, input);
    const reason = await this.reasonOf(db, parsed);
    return this.items.changeByHolder(db, actor, () => this.reviewerOf(actor), id, {
      kind: 'decide',
      decision: parsed.decision,
      reason,
      notes: parsed.notes ?? null,
    });
  }

  /** The decision's reason: a live policy reason that may justify this decision, or typed words. */
  private async reasonOf(
    db: TenantDb,
    input: { decision: Decision; policyReasonId?: string | null; reason?: string | null },
  ): Promise<DecisionReason> {
    if (!input.policyReasonId) {
      if (!input.reason)
        throw badInput([
          { field: 'input.policyReasonId', message: 'choose a reason from the list or type one' },
        ]);
      return { policyReasonId: null, label: input.reason, policy: null };
    }
    const listed = await db.policyReason.findUnique({ where: { id: input.policyReasonId } });
    if (!listed || listed.archivedAt) throw notFound('Policy reason');
    if (input.reason)
      throw badInput([
        { field: 'input.reason', message: 'give either a listed reason or your own, not both' },
      ]);
    if (listed.decisions.length > 0 && !listed.decisions.includes(input.decision)) {
      throw badInput([
        {
          field: 'input.policyReasonId',
          message: `"${listed.label}" justifies ${listed.decisions.join(', ')}, not ${input.decision}`,
        },
      ]);
    }
    return { policyReasonId: listed.id, label: listed.label, policy: listed.policy || null };
  }

  /**
   * A note on an item, by a moderator or an API key with the review scope: kept with the item
   * whatever its state (a decided item can still get a note for the record).
   */
  async addNote(db: TenantDb, actor: Actor, reviewItemId: string, text: unknown): Promise<ReviewNote> {
    const id = requireId(reviewItemId, 'reviewItemId');
    // Another tenant's item is NOT_FOUND before anything else is said about the note.
    await this.items.get(db, id);
    const author = this.reviewerOf(actor);
    return this.notes.add(db, actor, author, id, validateInput(noteSchema, text, 'text'));
  }

  /** An item's notes, newest first. */
  async notesOf(db: TenantDb, reviewItemId: string): Promise<ReviewNote[]> {
    const id = requireId(reviewItemId, 'reviewItemId');
    await this.items.get(db, id);
    return this.notes.list(db, id);
  }

  /** Gives the item to a named moderator (an admin, or the moderator holding it). */
  async reassign(db: TenantDb, actor: Actor, reviewItemId: string, userId: string, leaseSeconds?: unknown) {
    const id = requireId(reviewItemId, 'reviewItemId');
    const to = requireId(userId, 'userId');
    const seconds = validateInput(claimSecondsSchema, leaseSeconds ?? undefined, 'leaseSeconds');
    const user = await db.user.findUnique({ where: { id: to } });
    if (!user || user.disabledAt) throw notFound('User');
    if (user.role === 'AUDITOR') throw conflict('An auditor cannot take review items');
    return this.items.reassign(db, actor, () => this.reviewerOf(actor), id, to, seconds);
  }

  /** Reopens an item a rule dismissed automatically (below its confidence threshold). */
  reopen(db: TenantDb, actor: Actor, reviewItemId: string): Promise<ReviewItem> {
    return this.items.reopen(db, actor, requireId(reviewItemId, 'reviewItemId'));
  }

  /**
   * Who claims and decides: a signed-in moderator, or an API key with the review scope (a
   * partner's review tool), audited as the key.
   */
  private reviewerOf(actor: Actor): Reviewer {
    if (actor.kind === 'user') return { kind: 'user', id: actor.id };
    if (hasScope(actor, 'review')) return { kind: 'apiKey', id: actor.id };
    throw forbidden(
      'Review items are claimed and decided by a signed-in moderator or an API key with the review scope',
    );
  }
}
