import type { PrismaClient } from '../db/prisma-client';
import type { PurgeExpiredSessionsPayload } from '../jobs/job-registry';
import type { JobHandler } from '../jobs/job-queue';

/**
 * Deletes login sessions that ended long enough ago. Platform-wide housekeeping: it uses the
 * platform client because it reads no tenant's data, only timestamps. Idempotent.
 */
export async function purgeExpiredSessions(
  prisma: PrismaClient,
  payload: PurgeExpiredSessionsPayload,
  now = new Date(),
): Promise<{ deleted: number }> {
  const cutoff = new Date(now.getTime() - payload.olderThanHours * 3_600_000);
  const { count } = await prisma.session.deleteMany({
    where: { OR: [{ expiresAt: { lt: cutoff } }, { revokedAt: { lt: cutoff } }] },
  });
  return { deleted: count };
}

export function purgeExpiredSessionsHandler(prisma: PrismaClient): JobHandler<'purgeExpiredSessions'> {
  return { run: (payload) => purgeExpiredSessions(prisma, payload) };
}
