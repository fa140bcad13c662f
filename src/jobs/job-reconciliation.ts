import type { PrismaClient } from '../db/prisma-client';
import { tenantDb, type TenantDb } from '../db/tenant-scoped-db';

/**
 * Helpers for reconcilers: the owners of work whose truth is in PostgreSQL find what should have a
 * job, and queue it again where Redis has none (JobQueue.restore), after Redis lost its data.
 */

/**
 * How far back a reconciler looks for work whose job may be lost. Work older than this that never
 * ran is left to people (it is visible in its rows); this bounds the cost of every run.
 */
export const LOST_JOB_LOOKBACK_MS = 24 * 3_600_000;

const PAGE = 500;

/** A page of the rows that should have a job: those after `after` (an id), by id, at most `take`. */
export type FindPage<Row> = (
  db: TenantDb,
  page: { after?: { id: { gt: string } }; take: number; orderBy: { id: 'asc' } },
) => Promise<Row[]>;

/**
 * For each of `tenantIds`, pages through `find` (tenant-scoped) and restores the job of each row;
 * answers how many were queued again.
 */
export async function restoreForTenants<Row extends { id: string }>(
  prisma: PrismaClient,
  tenantIds: string[],
  find: FindPage<Row>,
  restore: (tenantId: string, row: Row) => Promise<boolean>,
): Promise<number> {
  let restored = 0;
  for (const tenantId of tenantIds) {
    const db = tenantDb(prisma, tenantId);
    let after: string | undefined;
    for (;;) {
      const page = await find(db, {
        ...(after ? { after: { id: { gt: after } } } : {}),
        take: PAGE,
        orderBy: { id: 'asc' },
      });
      for (const row of page) if (await restore(tenantId, row)) restored += 1;
      if (page.length < PAGE) break;
      after = page.at(-1)!.id;
    }
  }
  return restored;
}
