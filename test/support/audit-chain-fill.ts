import { auditEventHash, lockAuditChain, readChainHead } from '../../src/audit/audit-chain';
import type { PrismaClient } from '../../src/db/prisma-client';

/**
 * Appends `count` valid, unkeyed events to a tenant's audit chain in bulk (rows computed here and
 * inserted in batches), so a test can have a long chain in seconds instead of minutes of audited
 * writes.
 */
export async function fillAuditChain(prisma: PrismaClient, tenantId: string, count: number): Promise<void> {
  const BATCH = 2_000;
  for (let done = 0; done < count; done += BATCH) {
    await prisma.$transaction(
      async (tx) => {
        await lockAuditChain(tx, tenantId);
        const head = await readChainHead(tx, tenantId);
        let chainIndex = head?.chainIndex ?? 0;
        let prevHash = head?.hash ?? null;
        const rows = [];
        const start = Date.now();
        for (let n = 0; n < Math.min(BATCH, count - done); n++) {
          chainIndex += 1;
          const event = {
            tenantId,
            chainIndex,
            prevHash,
            createdAt: new Date(start + n),
            actorType: 'worker',
            actorId: 'fill',
            action: 'test.fill',
            entityType: 'Test',
            entityId: String(chainIndex),
            data: { n: chainIndex, note: 'bulk' },
          };
          const hash = auditEventHash(event);
          rows.push({ ...event, hash });
          prevHash = hash;
        }
        await tx.auditEvent.createMany({ data: rows });
      },
      { timeout: 60_000 },
    );
  }
}
