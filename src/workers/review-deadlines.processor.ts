import type Redis from 'ioredis';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';
import type { JobHandler } from '../jobs/job-queue';
import { redisPublisher } from '../pubsub/live-events';
import { ReviewItems } from '../review/review-items';

/** Items handled per tenant and kind of change in one run; the rest wait for the next run. */
const BATCH = 500;

/**
 * Review queues' clocks, run every few seconds by the maintenance queue: claims whose lease
 * expired return their items to OPEN, and items that missed their claim or decide deadline while
 * their stream is live escalate themselves. The review items' owner makes each change.
 */
export async function runReviewDeadlines(
  prisma: PrismaClient,
  redis: Redis,
  now = new Date(),
): Promise<{ released: number; escalated: number }> {
  // Deadlines never decide, so no webhook is ever sent from here.
  const items = new ReviewItems(redisPublisher(redis), null);
  let released = 0;
  let escalated = 0;
  const tenants = await prisma.reviewItem.groupBy({
    by: ['tenantId'],
    where: { status: { in: ['OPEN', 'CLAIMED'] } },
  });
  for (const { tenantId } of tenants) {
    const db = tenantDb(prisma, tenantId);
    released += await items.expireClaims(db, tenantId, now, BATCH);
    escalated += await items.escalateLate(db, tenantId, now, BATCH);
  }
  return { released, escalated };
}

export function reviewDeadlinesHandler(prisma: PrismaClient, redis: Redis): JobHandler<'reviewDeadlines'> {
  return { run: () => runReviewDeadlines(prisma, redis) };
}
