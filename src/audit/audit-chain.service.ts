import type { PrismaClient } from '../db/prisma-client';
import type { TenantDb } from '../db/tenant-scoped-db';
import { Prisma } from '../generated/prisma/client';
import { auditEventHash, lockAuditChain, readChainHead } from './audit-chain';

/** The outcome of walking a tenant's audit chain. */
export interface AuditChainVerification {
  ok: boolean;
  /** Events examined, the first broken one included. */
  eventsChecked: number;
  /** The stored hash of the tenant's latest event (null for an empty log). */
  headHash: string | null;
  firstBrokenEventId: string | null;
  firstBrokenChainIndex: number | null;
  reason: string | null;
  verifiedAt: Date;
}

type ChainRow = Prisma.AuditEventGetPayload<object>;

export const VERIFY_BATCH_SIZE = 1000;

export interface VerifyOptions {
  batchSize?: number;
  /** Called after each batch with the events checked so far (a job's progress). */
  onProgress?: (eventsChecked: number) => Promise<void>;
}
export const BACKFILL_BATCH_SIZE = 500;

/** Why an event breaks the chain, or null when it continues the chain after `previous`. */
export function chainBreakOf(row: ChainRow, expectedIndex: number, previous: ChainRow | null): string | null {
  if (row.chainIndex !== expectedIndex) {
    return `chain index gap: expected ${expectedIndex}, found ${row.chainIndex}`;
  }
  if (row.prevHash !== (previous?.hash ?? null)) {
    return previous
      ? 'previous-hash link broken: prevHash does not match the hash of the event before it'
      : 'previous-hash link broken: the first event must have no prevHash';
  }
  const recomputed = auditEventHash({ ...row, chainIndex: expectedIndex });
  if (row.hash !== recomputed) return 'event content does not match its hash';
  return null;
}

/**
 * Verifies tenants' audit chains and chains rows written before the chain existed.
 */
export class AuditChainService {
  /**
   * Walks the tenant's events in chain order, in batches: each event's index must follow the last
   * one's, its prevHash must be the last one's hash and its hash must match its content. Reports the
   * first event that breaks any of these (a changed row at that row, a removed one at the next index).
   * Events not in the chain at all (written before it existed and not yet chained by `vigil migrate`,
   * or inserted around the application) also fail verification.
   */
  async verify(db: TenantDb, options: VerifyOptions = {}): Promise<AuditChainVerification> {
    const batchSize = options.batchSize ?? VERIFY_BATCH_SIZE;
    let eventsChecked = 0;
    let previous: ChainRow | null = null;
    for (;;) {
      const batch: ChainRow[] = await db.auditEvent.findMany({
        where: { chainIndex: previous ? { gt: previous.chainIndex! } : { not: null } },
        orderBy: { chainIndex: 'asc' },
        take: batchSize,
      });
      for (const row of batch) {
        eventsChecked += 1;
        const reason = chainBreakOf(row, (previous?.chainIndex ?? 0) + 1, previous);
        if (reason) {
          return this.result(db, {
            eventsChecked,
            firstBrokenEventId: row.id,
            firstBrokenChainIndex: row.chainIndex,
            reason,
          });
        }
        previous = row;
      }
      await options.onProgress?.(eventsChecked);
      if (batch.length < batchSize) break;
    }
    const unchained = await db.auditEvent.findFirst({
      where: { chainIndex: null },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      select: { id: true },
    });
    if (unchained) {
      const count = await db.auditEvent.count({ where: { chainIndex: null } });
      return this.result(db, {
        eventsChecked: eventsChecked + count,
        firstBrokenEventId: unchained.id,
        firstBrokenChainIndex: null,
        reason: `${count} audit event${count === 1 ? ' is' : 's are'} not in the chain (run \`vigil migrate\` to chain events written before the chain existed)`,
      });
    }
    return {
      ok: true,
      eventsChecked,
      headHash: previous?.hash ?? null,
      firstBrokenEventId: null,
      firstBrokenChainIndex: null,
      reason: null,
      verifiedAt: new Date(),
    };
  }

  /**
   * How many events a verification walks: the chain's head index (read from its unique index) and
   * the events outside the chain. Cheap, so a request can be priced before it runs.
   */
  async length(db: TenantDb): Promise<number> {
    const [head, unchained] = await Promise.all([
      db.auditEvent.findFirst({
        where: { chainIndex: { not: null } },
        orderBy: { chainIndex: 'desc' },
        select: { chainIndex: true },
      }),
      db.auditEvent.count({ where: { chainIndex: null } }),
    ]);
    return (head?.chainIndex ?? 0) + unchained;
  }

  private async result(
    db: TenantDb,
    broken: Pick<
      AuditChainVerification,
      'eventsChecked' | 'firstBrokenEventId' | 'firstBrokenChainIndex' | 'reason'
    >,
  ): Promise<AuditChainVerification> {
    const head = await db.auditEvent.findFirst({
      where: { chainIndex: { not: null } },
      orderBy: { chainIndex: 'desc' },
      select: { hash: true },
    });
    return { ok: false, headHash: head?.hash ?? null, verifiedAt: new Date(), ...broken };
  }
}

/**
 * Chains the audit events that have no place in their tenant's chain yet (written before the chain
 * existed), appending them per tenant in (createdAt, id) order after the tenant's current head.
 * Idempotent: a second run finds nothing to do. `vigil migrate` runs it after the migrations.
 */
export async function chainUnchainedAuditEvents(
  prisma: PrismaClient,
  batchSize = BACKFILL_BATCH_SIZE,
): Promise<{ tenants: number; chained: number }> {
  const tenants = await prisma.auditEvent.findMany({
    where: { chainIndex: null },
    distinct: ['tenantId'],
    select: { tenantId: true },
  });
  let chained = 0;
  for (const { tenantId } of tenants) {
    for (;;) {
      const done = await prisma.$transaction(async (tx) => {
        await lockAuditChain(tx, tenantId);
        const head = await readChainHead(tx, tenantId);
        const rows = await tx.auditEvent.findMany({
          where: { tenantId, chainIndex: null },
          orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
          take: batchSize,
        });
        if (rows.length === 0) return 0;
        let chainIndex = head?.chainIndex ?? 0;
        let prevHash = head?.hash ?? null;
        const ids: string[] = [];
        const indexes: number[] = [];
        const prevHashes: (string | null)[] = [];
        const hashes: string[] = [];
        for (const row of rows) {
          chainIndex += 1;
          const hash = auditEventHash({ ...row, chainIndex, prevHash });
          ids.push(row.id);
          indexes.push(chainIndex);
          prevHashes.push(prevHash);
          hashes.push(hash);
          prevHash = hash;
        }
        // The append-only trigger allows exactly this: filling in the chain columns of an unchained row.
        await tx.$executeRaw(Prisma.sql`
          UPDATE "AuditEvent" AS event
          SET "chainIndex" = chained.chain_index, "prevHash" = chained.prev_hash, "hash" = chained.hash
          FROM unnest(${ids}::uuid[], ${indexes}::int[], ${prevHashes}::text[], ${hashes}::text[])
            AS chained(id, chain_index, prev_hash, hash)
          WHERE event."id" = chained.id AND event."chainIndex" IS NULL`);
        return rows.length;
      });
      chained += done;
      if (done < batchSize) break;
    }
  }
  return { tenants: tenants.length, chained };
}
