import { chainUnchainedAuditEvents } from '../audit/audit-chain.service';
import { migrate, MigrationReport } from '../db/migration-runner';
import { createPrismaClient } from '../db/prisma-client';

export interface DatabaseMigrationReport extends MigrationReport {
  /** Audit events written before the audit chain existed that this run chained. */
  auditEventsChained: number;
}

/**
 * What `vigil migrate` (and `npm run db:migrate`, the demo) runs: the SQL migrations, then the
 * data step they cannot do in SQL, chaining audit events written before the audit chain existed
 * (their hashes are computed by the application). Both steps are idempotent.
 */
export async function migrateDatabase(databaseUrl: string): Promise<DatabaseMigrationReport> {
  const report = await migrate(databaseUrl);
  const prisma = createPrismaClient(databaseUrl);
  try {
    const { chained } = await chainUnchainedAuditEvents(prisma);
    return { ...report, auditEventsChained: chained };
  } finally {
    await prisma.$disconnect();
  }
}
