import type { PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';
import type { JobHandler } from '../jobs/job-queue';
import type { FrameStore } from '../storage/frame-store';

const BATCH = 500;

/**
 * Frame retention: deletes each tenant's frames (file, then row) older than its
 * frameRetentionDays, except the evidence of incidents still open or whose review item is not
 * resolved. Idempotent: a crash between file and row leaves a row whose file is gone, and the next
 * run deletes it.
 */
export async function purgeOldFrames(
  prisma: PrismaClient,
  store: FrameStore,
  now = new Date(),
): Promise<{ deleted: number }> {
  let deleted = 0;
  const tenants = await prisma.tenant.findMany({ select: { id: true, frameRetentionDays: true } });
  for (const tenant of tenants) {
    const db = tenantDb(prisma, tenant.id);
    const cutoff = new Date(now.getTime() - tenant.frameRetentionDays * 86_400_000);
    const evidence = await db.incident.findMany({
      where: { OR: [{ status: 'OPEN' }, { reviewItem: { status: { not: 'RESOLVED' } } }] },
      select: { frameIds: true },
    });
    const kept = [...new Set(evidence.flatMap((incident) => incident.frameIds))];
    for (;;) {
      const frames = await db.frame.findMany({
        where: { capturedAt: { lt: cutoff }, ...(kept.length ? { id: { notIn: kept } } : {}) },
        select: { id: true, storageKey: true },
        take: BATCH,
      });
      if (frames.length === 0) break;
      for (const frame of frames) await store.delete(frame.storageKey);
      const { count } = await db.frame.deleteMany({ where: { id: { in: frames.map((frame) => frame.id) } } });
      deleted += count;
    }
  }
  return { deleted };
}

export function purgeOldFramesHandler(prisma: PrismaClient, store: FrameStore): JobHandler<'purgeOldFrames'> {
  return { run: () => purgeOldFrames(prisma, store) };
}
