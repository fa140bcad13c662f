import { chainUnchainedAuditEvents } from '../audit/audit-chain.service';
import type { AppConfig } from '../config/config';
import { migrate, MigrationReport } from '../db/migration-runner';
import { createPrismaClient } from '../db/prisma-client';

export interface DatabaseMigrationReport extends MigrationReport {
  /** Audit events written before the audit chain existed that this run chained. */
  auditEventsChained: number;
  /**
   * Audit events outside the chain that were written after it existed: inserted around the
   * application. Never chained; verification reports them.
   */
  auditEventsOutsideChain: number;
}

/**
 * What `vigil migrate` (and `npm run db:migrate`, the demo) runs: the SQL migrations, then the
 * data step they cannot do in SQL, chaining audit events written before the audit chain existed
 * (their hashes, keyed with AUDIT_MAC_KEYS when set, are computed by the application). Both steps
 * are idempotent.
 */
export async function migrateDatabase(
  config: Pick<AppConfig, 'DATABASE_URL' | 'AUDIT_MAC_KEYS'>,
): Promise<DatabaseMigrationReport> {
  const report = await migrate(config.DATABASE_URL);
  const prisma = createPrismaClient(config.DATABASE_URL, { auditMacKeys: config.AUDIT_MAC_KEYS });
  try {
    const { chained, outsideChain } = await chainUnchainedAuditEvents(prisma);
    return { ...report, auditEventsChained: chained, auditEventsOutsideChain: outsideChain };
  } finally {
    await prisma.$disconnect();
  }
}
