import type { PrismaClient } from '../db/prisma-client';
import { tenantDb, type TenantDb } from '../db/tenant-scoped-db';
import type { JobHandler } from '../jobs/job-queue';
import type { FrameStore } from '../storage/frame-store';
import { forgetIncidentClip } from '../incidents/incident-clip-record';

const BATCH = 500;

/**
 * Frame retention: deletes each tenant's frames (file, then row) older than its
 * frameRetentionDays, except the evidence of incidents still open or whose review item is not
 * resolved; and the evidence clips of incidents that ended before then and are decided (file, then
 * the incident's clip columns, audited). Idempotent: a crash between file and row leaves a row
 * whose file is gone, and the next run deletes it.
 */
export async function purgeOldFrames(
  prisma: PrismaClient,
  store: FrameStore,
  now = new Date(),
): Promise<{ deleted: number; clipsDeleted: number }> {
  let deleted = 0;
  let clipsDeleted = 0;
  const tenants = await prisma.tenant.findMany({ select: { id: true, frameRetentionDays: true } });
  for (const tenant of tenants) {
    const db = tenantDb(prisma, tenant.id);
    const cutoff = new Date(now.getTime() - tenant.frameRetentionDays * 86_400_000);
    const kept = await evidenceFrameIds(db);
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
    clipsDeleted += await purgeOldClips(db, tenant.id, store, cutoff);
  }
  return { deleted, clipsDeleted };
}

/** Clips of incidents that ended before `cutoff`, are closed and decided (or have no item). */
async function purgeOldClips(
  db: TenantDb,
  tenantId: string,
  store: FrameStore,
  cutoff: Date,
): Promise<number> {
  let purged = 0;
  for (;;) {
    const incidents = await db.incident.findMany({
      where: {
        clipStorageKey: { not: null },
        status: 'CLOSED',
        endAt: { lt: cutoff },
        OR: [{ reviewItem: null }, { reviewItem: { status: 'RESOLVED' } }],
      },
      select: { id: true, clipStorageKey: true, clipSha256: true },
      take: BATCH,
    });
    if (incidents.length === 0) return purged;
    for (const incident of incidents) {
      await store.delete(incident.clipStorageKey!);
      await forgetIncidentClip(db, tenantId, incident);
      purged += 1;
    }
  }
}

/** The frames of every window that fired into an incident still open or awaiting a decision. */
async function evidenceFrameIds(db: TenantDb): Promise<string[]> {
  const undecided = {
    OR: [{ status: 'OPEN' as const }, { reviewItem: { status: { not: 'RESOLVED' as const } } }],
  };
  const firings = await db.incidentFiring.findMany({
    where: { incident: undecided },
    select: { windowId: true },
    distinct: ['windowId'],
  });
  const windows = await db.window.findMany({
    where: { id: { in: firings.map((firing) => firing.windowId) } },
    select: { frameIds: true },
  });
  const keyframes = await db.incident.findMany({ where: undecided, select: { keyframeIds: true } });
  return [
    ...new Set([...windows.flatMap((window) => window.frameIds), ...keyframes.flatMap((i) => i.keyframeIds)]),
  ];
}

export function purgeOldFramesHandler(prisma: PrismaClient, store: FrameStore): JobHandler<'purgeOldFrames'> {
  return { run: () => purgeOldFrames(prisma, store) };
}
