import { createPrismaClient } from '../../src/db/prisma-client';

/**
 * Settles the work that earlier test files left unfinished in the shared test database: waiting
 * windows end FAILED, analyses count as evaluated, pending webhook deliveries DEAD, closed
 * incidents as clipped and verifications as failed. A worker started by a fault test would
 * otherwise reconcile all of it (as it should in production) ahead of the test's own work, and the
 * test would time that backlog instead of its recovery. Call before the test's worker starts.
 */
export async function settleLeftoverWork(): Promise<void> {
  const prisma = createPrismaClient(process.env.DATABASE_URL!);
  try {
    await settle(prisma);
  } finally {
    await prisma.$disconnect();
  }
}

async function settle(prisma: ReturnType<typeof createPrismaClient>): Promise<void> {
  const now = new Date();
  await prisma.window.updateMany({
    where: { status: { in: ['QUEUED', 'RUNNING'] } },
    data: { status: 'FAILED', error: 'left by an earlier test file' },
  });
  await prisma.window.updateMany({
    where: { reanalysisWantedSince: { not: null } },
    data: { reanalysisWantedSince: null },
  });
  await prisma.analysis.updateMany({ where: { rulesEvaluatedAt: null }, data: { rulesEvaluatedAt: now } });
  await prisma.webhookDelivery.updateMany({ where: { status: 'PENDING' }, data: { status: 'DEAD' } });
  await prisma.$executeRaw`UPDATE "Incident" SET "clipBuiltAt" = ${now}, "clipFirings" = "firings"
    WHERE "status" = 'CLOSED' AND ("clipBuiltAt" IS NULL OR "clipFirings" < "firings")`;
  await prisma.$executeRaw`UPDATE "AuditVerification" SET "status" = 'FAILED'
    WHERE "status" IN ('QUEUED', 'RUNNING')`;
}
