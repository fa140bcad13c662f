import { type AuditActor, systemActor } from '../audit/audit-log';
import { purgeAnalyses } from '../analysis/analysis-records';
import type { PrismaClient } from '../db/prisma-client';
import { DomainError } from '../errors/domain-error';
import { mapPrismaError } from '../errors/prisma-error.mapper';
import { tenantDb, type TenantDb } from '../db/tenant-scoped-db';
import type { JobHandler } from '../jobs/job-queue';
import type { FrameStore } from '../storage/frame-store';
import { forgetIncidentClip } from '../incidents/incident-clip-record';
import { purgeClosedIncident } from '../incidents/incidents';
import { purgeDecidedReviewItem } from '../review/review-items';
import { deleteStream, hasEvidence } from '../streams/stream-settings';

const BATCH = 500;
/** The job's name, the actor of what it deletes in the audit chain. */
const JOB = 'purge-old-frames';

/** What one run deleted. */
export interface RetentionRun {
  deleted: number;
  clipsDeleted: number;
  /** Incidents of archived streams, each with its decided review item. */
  incidentsPurged: number;
  analysesPurged: number;
  /** Archived streams deleted once nothing of them was left. */
  streamsPurged: number;
}

/**
 * Retention, against each tenant's frameRetentionDays:
 * - frames (file, then row) captured before the cutoff, except the evidence of incidents still
 *   open or whose review item is not resolved;
 * - the evidence clips of incidents that ended before then and are decided (file, then the
 *   incident's clip columns, audited);
 * - the evidence of archived streams: each incident that ended before the cutoff, is closed and
 *   decided (or has no review item), with its review item, firings and alerts (one transaction,
 *   audited as incident.purged and reviewItem.purged); then the analyses made before the cutoff
 *   that no remaining incident cites, and windows left without analyses (stream.analyses_purged);
 *   then the stream itself, archived before the cutoff, once it has no evidence and no frames left
 *   (stream.purged; its usage stays with the tenant's months).
 * Streams that are not archived keep their incidents, decisions and analyses. Idempotent: a crash
 * between file and row leaves a row whose file is gone, and the next run deletes it.
 */
export async function purgeOldFrames(
  prisma: PrismaClient,
  store: FrameStore,
  now = new Date(),
): Promise<RetentionRun> {
  let deleted = 0;
  let clipsDeleted = 0;
  const archived = { incidentsPurged: 0, analysesPurged: 0, streamsPurged: 0 };
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
    const purged = await purgeArchivedStreams(db, systemActor(tenant.id, JOB), store, cutoff);
    archived.incidentsPurged += purged.incidentsPurged;
    archived.analysesPurged += purged.analysesPurged;
    archived.streamsPurged += purged.streamsPurged;
  }
  return { deleted, clipsDeleted, ...archived };
}

/** The evidence of the tenant's archived streams past the cutoff, then the streams left empty. */
async function purgeArchivedStreams(
  db: TenantDb,
  actor: AuditActor,
  store: FrameStore,
  cutoff: Date,
): Promise<Omit<RetentionRun, 'deleted' | 'clipsDeleted'>> {
  const run = { incidentsPurged: 0, analysesPurged: 0, streamsPurged: 0 };
  const streams = await db.stream.findMany({
    where: { status: 'ARCHIVED' },
    select: { id: true, archivedAt: true },
  });
  for (const stream of streams) {
    run.incidentsPurged += await purgeDecidedIncidents(db, actor, store, stream.id, cutoff);
    run.analysesPurged += await purgeUncitedAnalyses(db, actor, stream.id, cutoff);
    if (stream.archivedAt && stream.archivedAt < cutoff && (await isEmpty(db, stream.id))) {
      // Refused if evidence came meanwhile (a window of it analysed late) or the stream went: the
      // next run looks again.
      const purged = await db
        .$transaction((tx) => deleteStream(tx, actor, stream.id, 'stream.purged'))
        .then(() => true)
        .catch((error: unknown) => {
          if (mapPrismaError(error, 'stream') instanceof DomainError) return false;
          throw error;
        });
      if (purged) run.streamsPurged += 1;
    }
  }
  return run;
}

/** Closed, decided incidents of the stream that ended before the cutoff, one transaction each. */
async function purgeDecidedIncidents(
  db: TenantDb,
  actor: AuditActor,
  store: FrameStore,
  streamId: string,
  cutoff: Date,
): Promise<number> {
  let purged = 0;
  const pages = pagesById(({ after, ...page }) =>
    db.incident.findMany({
      where: { streamId, ...decidedBefore(cutoff), ...after },
      select: { id: true, clipStorageKey: true },
      ...page,
    }),
  );
  for await (const incidents of pages) {
    for (const incident of incidents) {
      // Both or neither: an item reopened meanwhile keeps its incident (and the next run looks again).
      const done = await db
        .$transaction(async (tx) => {
          if (!(await purgeDecidedReviewItem(tx, actor, incident.id))) return false;
          if (!(await purgeClosedIncident(tx, actor, incident.id))) throw new IncidentChanged();
          return true;
        })
        .catch((error: unknown) => {
          if (error instanceof IncidentChanged) return false;
          throw error;
        });
      if (!done) continue;
      // The clip file goes once its incident's row is gone: a kept incident keeps a playable clip.
      if (incident.clipStorageKey) await store.delete(incident.clipStorageKey);
      purged += 1;
    }
  }
  return purged;
}

/** Rolls back an item's purge when its incident is no longer closed. */
class IncidentChanged extends Error {}

/** The stream's analyses made before the cutoff that no remaining incident cites, in batches. */
async function purgeUncitedAnalyses(
  db: TenantDb,
  actor: AuditActor,
  streamId: string,
  cutoff: Date,
): Promise<number> {
  let purged = 0;
  const pages = pagesById(({ after, ...page }) =>
    db.analysis.findMany({
      where: { streamId, createdAt: { lt: cutoff }, ...after },
      select: { id: true },
      ...page,
    }),
  );
  // The windows of the stream are purged with the last page (or alone when no analysis is left).
  for await (const analyses of pages) {
    const ids = analyses.map((analysis) => analysis.id);
    const cited = new Set(
      (
        await db.incidentFiring.findMany({
          where: { analysisId: { in: ids } },
          select: { analysisId: true },
        })
      ).map((firing) => firing.analysisId),
    );
    const result = await purgeAnalyses(
      db,
      actor,
      streamId,
      ids.filter((id) => !cited.has(id)),
      cutoff,
    );
    purged += result.analyses;
  }
  return purged;
}

/** No evidence and no frames left: nothing of the stream is kept but its audit trail and usage. */
async function isEmpty(db: TenantDb, streamId: string): Promise<boolean> {
  const frame = await db.frame.findFirst({ where: { streamId }, select: { id: true } });
  return !frame && !(await hasEvidence(db, streamId));
}

/** Incidents that ended before `cutoff`, are closed and decided (or have no review item). */
function decidedBefore(cutoff: Date) {
  return {
    status: 'CLOSED' as const,
    endAt: { lt: cutoff },
    OR: [{ reviewItem: null }, { reviewItem: { status: 'RESOLVED' as const } }],
  };
}

/**
 * Every page of rows by id, BATCH at a time, up to the last one (short, possibly empty): rows a
 * caller keeps are not read again.
 */
async function* pagesById<Row extends { id: string }>(
  find: (page: { after: { id?: { gt: string } }; orderBy: { id: 'asc' }; take: number }) => Promise<Row[]>,
): AsyncGenerator<Row[]> {
  let after: string | undefined;
  for (;;) {
    const rows = await find({
      after: after ? { id: { gt: after } } : {},
      orderBy: { id: 'asc' },
      take: BATCH,
    });
    yield rows;
    if (rows.length < BATCH) return;
    after = rows.at(-1)!.id;
  }
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
        ...decidedBefore(cutoff),
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
