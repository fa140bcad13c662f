import { anchorChainHeads, type AnchorSigner } from '../audit/audit-anchors';
import type { AppConfig } from '../config/config';
import type { PrismaClient } from '../db/prisma-client';
import type { JobHandler } from '../jobs/job-queue';
import type { FrameStore } from '../storage/frame-store';

/**
 * Anchors the tenants' audit chain heads that moved (audit-anchors.ts). Without an anchor key the
 * job has nothing to do, and says so.
 */
export function anchorAuditChainsHandler(deps: {
  prisma: PrismaClient;
  store: FrameStore;
  signer: AnchorSigner | null;
  config: Pick<AppConfig, 'AUDIT_ANCHOR_EVERY_MINUTES' | 'AUDIT_ANCHOR_LOCK_DAYS' | 'FRAME_STORE'>;
}): JobHandler<'anchorAuditChains'> {
  const { prisma, store, signer, config } = deps;
  return {
    run: async () => {
      if (!signer) return { skipped: 'AUDIT_ANCHOR_PRIVATE_KEY is not set' };
      return anchorChainHeads(prisma, store, signer, {
        everyMs: config.AUDIT_ANCHOR_EVERY_MINUTES * 60_000,
        lockDays: config.FRAME_STORE === 's3' ? config.AUDIT_ANCHOR_LOCK_DAYS : 0,
      });
    },
  };
}
