import type { TenantDb, TenantTx } from '../db/tenant-scoped-db';

/** What a sampling worker counted since it last wrote: added to the stream's running totals. */
export interface SamplingCounts {
  framesSampled: number;
  framesKept: number;
  framesSkipped: number;
  windowsQueued: number;
}

/**
 * The stream's counters: what its sampler saw and what its analyses finished. Increments only,
 * so any number of workers may add at once; none of these touch the stream's status.
 */
export async function addSamplingCounts(
  db: TenantDb,
  streamId: string,
  counts: SamplingCounts,
  gauges: { effectiveFps?: number; progressPercent?: number | null } = {},
): Promise<void> {
  await db.stream.update({
    where: { id: streamId },
    data: {
      framesSampled: { increment: counts.framesSampled },
      framesKept: { increment: counts.framesKept },
      framesSkipped: { increment: counts.framesSkipped },
      windowsQueued: { increment: counts.windowsQueued },
      ...(counts.framesSampled > 0 ? { lastFrameAt: new Date() } : {}),
      ...gauges,
    },
  });
}

/** Windows whose analysis finished (analysed, degraded or gated), in the usage meter's transaction. */
export async function addFinishedWindows(tx: TenantTx, streamId: string, finished: number): Promise<void> {
  if (finished <= 0) return;
  await tx.stream.updateMany({ where: { id: streamId }, data: { windowsAnalysed: { increment: finished } } });
}
