import type { TenantDb } from '../db/tenant-scoped-db';

/**
 * Raises the stream's sampler fence and answers the new value: done by a worker right after it
 * takes the stream's lease. From then on PostgreSQL refuses frames and windows written under any
 * earlier value (a trigger on Frame and Window), so the previous owner cannot write beside it.
 */
export async function raiseSamplerFence(db: TenantDb, streamId: string): Promise<number> {
  const { samplerFence } = await db.stream.update({
    where: { id: streamId },
    data: { samplerFence: { increment: 1 } },
    select: { samplerFence: true },
  });
  return samplerFence;
}
