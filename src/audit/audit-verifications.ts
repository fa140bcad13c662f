import { notFound } from '../errors/domain-error';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb, tenantIdOf, type TenantDb } from '../db/tenant-scoped-db';
import type { JobQueue } from '../jobs/job-queue';
import { LOST_JOB_LOOKBACK_MS, restoreForTenants } from '../jobs/job-reconciliation';
import { Prisma } from '../generated/prisma/client';
import type { AuditChainVerification } from './audit-chain.service';

/**
 * The owner of AuditVerification rows: verifications of a tenant's audit chain run as jobs. The row
 * is written before its job is queued (PostgreSQL holds the truth of the job), then moved through
 * QUEUED → RUNNING → DONE | FAILED by the worker, with its progress per batch.
 */
export type AuditVerificationRow = Prisma.AuditVerificationGetPayload<object>;

export const UNFINISHED_STATUSES = ['QUEUED', 'RUNNING'] as const;

/** Who asked for a verification. */
export interface VerificationRequester {
  kind: string;
  id: string;
}

/**
 * Records a new QUEUED verification, or answers the tenant's verification still QUEUED or RUNNING
 * (`created: false`). Starts of one tenant are serialised by a transaction-scoped advisory lock, so
 * two at once never record two.
 */
export async function recordVerification(
  db: TenantDb,
  requestedBy: VerificationRequester,
  eventsTotal: () => Promise<number>,
): Promise<{ verification: AuditVerificationRow; created: boolean }> {
  const tenantId = tenantIdOf(db);
  return db.$transaction(async (tx) => {
    await tx.$executeRaw(
      Prisma.sql`SELECT pg_advisory_xact_lock(hashtextextended(${`vigil:audit-verification:${tenantId}`}, 0))`,
    );
    const unfinished = await tx.auditVerification.findFirst({
      where: { status: { in: [...UNFINISHED_STATUSES] } },
      orderBy: { createdAt: 'asc' },
    });
    if (unfinished) return { verification: unfinished, created: false };
    const verification = await tx.auditVerification.create({
      data: {
        tenantId,
        requestedByType: requestedBy.kind,
        requestedById: requestedBy.id,
        eventsTotal: await eventsTotal(),
      },
    });
    return { verification, created: true };
  });
}

/** The tenant's verification still QUEUED or RUNNING, if any. */
export function unfinishedVerification(db: TenantDb): Promise<AuditVerificationRow | null> {
  return db.auditVerification.findFirst({ where: { status: { in: [...UNFINISHED_STATUSES] } } });
}

export async function getVerification(db: TenantDb, id: string): Promise<AuditVerificationRow> {
  const row = await db.auditVerification.findFirst({ where: { id } });
  if (!row) throw notFound('Audit chain verification');
  return row;
}

/** The worker took the job: RUNNING from now, its progress counted from zero (a retry starts over). */
export async function markVerificationRunning(db: TenantDb, id: string): Promise<boolean> {
  const { count } = await db.auditVerification.updateMany({
    where: { id, status: { in: [...UNFINISHED_STATUSES] } },
    data: { status: 'RUNNING', startedAt: new Date(), eventsChecked: 0 },
  });
  return count === 1;
}

export async function recordVerificationProgress(
  db: TenantDb,
  id: string,
  eventsChecked: number,
): Promise<void> {
  await db.auditVerification.updateMany({ where: { id, status: 'RUNNING' }, data: { eventsChecked } });
}

export async function finishVerification(
  db: TenantDb,
  id: string,
  result: AuditChainVerification,
): Promise<void> {
  await db.auditVerification.updateMany({
    where: { id, status: 'RUNNING' },
    data: {
      status: 'DONE',
      eventsChecked: result.eventsChecked,
      ok: result.ok,
      headHash: result.headHash,
      firstBrokenEventId: result.firstBrokenEventId,
      firstBrokenChainIndex: result.firstBrokenChainIndex,
      reason: result.reason,
      keyed: result.keyed,
      unkeyedEvents: result.unkeyedEvents,
      anchorsChecked: result.anchorsChecked,
      finishedAt: result.verifiedAt,
    },
  });
}

/** The outcome a DONE verification recorded (as `finishVerification` wrote it), or null before then. */
export function verificationResultOf(row: AuditVerificationRow): AuditChainVerification | null {
  if (row.status !== 'DONE' || row.ok === null) return null;
  return {
    ok: row.ok,
    eventsChecked: row.eventsChecked,
    headHash: row.headHash,
    firstBrokenEventId: row.firstBrokenEventId,
    firstBrokenChainIndex: row.firstBrokenChainIndex,
    reason: row.reason,
    verifiedAt: row.finishedAt ?? row.createdAt,
    keyed: row.keyed ?? false,
    unkeyedEvents: row.unkeyedEvents ?? 0,
    anchorsChecked: row.anchorsChecked ?? 0,
  };
}

/** Every attempt failed (the job, not the chain): the row says why, so nobody waits for it. */
export async function failVerification(db: TenantDb, id: string, error: string): Promise<void> {
  await db.auditVerification.updateMany({
    where: { id, status: { in: [...UNFINISHED_STATUSES] } },
    data: { status: 'FAILED', error: error.slice(0, 500), finishedAt: new Date() },
  });
}

/**
 * Queues again the jobs of verifications still QUEUED or RUNNING whose job Redis no longer has (the
 * row is the truth; a restored job starts the walk over). One left unfinished for longer than
 * LOST_JOB_LOOKBACK_MS is marked FAILED instead, so a tenant is never left with a verification
 * that blocks the next start forever. Answers how many jobs were queued again.
 */
export async function restoreLostAuditVerifications(
  prisma: PrismaClient,
  jobs: JobQueue,
  now = new Date(),
): Promise<number> {
  const since = new Date(now.getTime() - LOST_JOB_LOOKBACK_MS);
  const unfinished = { status: { in: [...UNFINISHED_STATUSES] } };
  const tenantIds = (await prisma.auditVerification.groupBy({ by: ['tenantId'], where: unfinished })).map(
    (group) => group.tenantId,
  );
  for (const tenantId of tenantIds) {
    await tenantDb(prisma, tenantId).auditVerification.updateMany({
      where: { ...unfinished, createdAt: { lt: since } },
      data: { status: 'FAILED', error: 'abandoned: no job finished it within a day', finishedAt: now },
    });
  }
  return restoreForTenants(
    prisma,
    tenantIds,
    (db, { after, ...page }) =>
      db.auditVerification.findMany({ where: { ...unfinished, ...after }, ...page, select: { id: true } }),
    (tenantId, { id: verificationId }) => jobs.restore('verifyAuditChain', { tenantId, verificationId }),
  );
}
