import type Redis from 'ioredis';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';
import type { JobHandler } from '../jobs/job-queue';
import type { ReviewItem } from '../generated/prisma/client';
import { publishEvent } from '../pubsub/event-bus';
import { reviewItemEvent, ReviewItemEvent, TOPICS } from '../pubsub/topics';
import { recordAudit } from '../services/audit.service';

const SYSTEM = { kind: 'operator' as const, id: null };

/**
 * Review queues' clocks, run every few seconds by the maintenance queue:
 * - a claim whose lease expired returns its item to OPEN;
 * - an item not claimed by its claimDueAt, or not decided by its decideDueAt, while its stream is
 *   still live (ACTIVE), escalates itself (once).
 * Each change is one conditional UPDATE, so a claim renewed or a decision made meanwhile wins.
 */
export async function runReviewDeadlines(
  prisma: PrismaClient,
  redis: Redis,
  now = new Date(),
): Promise<{ released: number; escalated: number }> {
  let released = 0;
  let escalated = 0;
  const announce = (item: ReviewItem, type: ReviewItemEvent['type']) =>
    publishEvent(redis, TOPICS.reviewItems(item.tenantId), reviewItemEvent(item, type)).catch(
      () => undefined,
    );

  const tenants = await prisma.reviewItem.groupBy({
    by: ['tenantId'],
    where: { status: { in: ['OPEN', 'CLAIMED'] } },
  });
  for (const { tenantId } of tenants) {
    const db = tenantDb(prisma, tenantId);
    const expired = await db.reviewItem.findMany({
      where: { status: 'CLAIMED', claimExpiresAt: { lt: now } },
      select: { id: true },
      take: 500,
    });
    for (const { id } of expired) {
      const item = await db.$transaction(async (tx) => {
        const changed = await tx.reviewItem.updateMany({
          where: { id, status: 'CLAIMED', claimExpiresAt: { lt: now } },
          data: { status: 'OPEN', assigneeId: null, claimExpiresAt: null },
        });
        if (changed.count === 0) return null;
        await recordAudit(
          tx,
          { tenantId, ...SYSTEM },
          {
            action: 'reviewItem.claimExpired',
            entityType: 'ReviewItem',
            entityId: id,
          },
        );
        return tx.reviewItem.findUniqueOrThrow({ where: { id } });
      });
      if (item) {
        released += 1;
        await announce(item, 'released');
      }
    }

    const late = await db.reviewItem.findMany({
      where: {
        escalatedAt: null,
        stream: { status: 'ACTIVE' },
        OR: [
          { status: 'OPEN', claimDueAt: { lt: now } },
          { status: 'CLAIMED', decideDueAt: { lt: now } },
        ],
      },
      select: { id: true, status: true },
      take: 500,
    });
    for (const { id, status } of late) {
      const item = await db.$transaction(async (tx) => {
        const changed = await tx.reviewItem.updateMany({
          where: { id, status, escalatedAt: null },
          data: { status: 'ESCALATED', escalatedAt: now, assigneeId: null, claimExpiresAt: null },
        });
        if (changed.count === 0) return null;
        await recordAudit(
          tx,
          { tenantId, ...SYSTEM },
          {
            action: 'reviewItem.deadlineEscalated',
            entityType: 'ReviewItem',
            entityId: id,
            data: { missed: status === 'OPEN' ? 'time to claim' : 'time to decide' },
          },
        );
        return tx.reviewItem.findUniqueOrThrow({ where: { id } });
      });
      if (item) {
        escalated += 1;
        await announce(item, 'escalated');
      }
    }
  }
  return { released, escalated };
}

export function reviewDeadlinesHandler(prisma: PrismaClient, redis: Redis): JobHandler<'reviewDeadlines'> {
  return { run: () => runReviewDeadlines(prisma, redis) };
}
