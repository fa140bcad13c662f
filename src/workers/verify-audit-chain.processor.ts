import type { Logger } from 'pino';
import type { AuditChainService } from '../audit/audit-chain.service';
import type { AuditVerificationLock } from '../audit/audit-verification-lock';
import {
  failVerification,
  finishVerification,
  markVerificationRunning,
  recordVerificationProgress,
} from '../audit/audit-verifications';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';
import { type JobHandler, RunAgainLater } from '../jobs/job-queue';

/** How long a verification waits when another one of its tenant holds the lock (an inline one). */
const LOCKED_RETRY_MS = 2_000;

/**
 * Walks a tenant's audit chain for a verification recorded by startAuditChainVerification: RUNNING
 * once the tenant's verification lock is held, its progress written after every batch, its outcome
 * (or, once every attempt failed, why the job could not finish) written to the row.
 */
export function verifyAuditChainHandler(deps: {
  prisma: PrismaClient;
  chain: AuditChainService;
  lock: AuditVerificationLock;
  logger: Logger;
}): JobHandler<'verifyAuditChain'> {
  const { prisma, chain, lock, logger } = deps;
  return {
    async run({ tenantId, verificationId }) {
      const db = tenantDb(prisma, tenantId);
      const held = await lock.tryAcquire(tenantId);
      if (!held) return new RunAgainLater(LOCKED_RETRY_MS);
      try {
        // A row already DONE or FAILED (a job queued twice, or restored after it ended) is left alone.
        if (!(await markVerificationRunning(db, verificationId))) return { skipped: true };
        const result = await chain.verify(db, {
          onProgress: (checked) => recordVerificationProgress(db, verificationId, checked),
        });
        await finishVerification(db, verificationId, result);
        return { ok: result.ok, eventsChecked: result.eventsChecked };
      } finally {
        await held.release();
      }
    },
    onFailed({ tenantId, verificationId }, error, final) {
      logger[final ? 'error' : 'warn'](
        { tenantId, verificationId, err: error, final },
        'audit verification failed',
      );
      if (final) {
        void failVerification(tenantDb(prisma, tenantId), verificationId, error.message).catch(
          (failure: unknown) =>
            logger.error({ verificationId, err: failure }, 'could not record a failed audit verification'),
        );
      }
    },
  };
}
