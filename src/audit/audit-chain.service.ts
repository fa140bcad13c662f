import type { AuditMacKey } from '../config/config';
import { auditMacKeysOf, type PrismaClient } from '../db/prisma-client';
import { tenantIdOf, type TenantDb } from '../db/tenant-scoped-db';
import { Prisma } from '../generated/prisma/client';
import type { FrameStore } from '../storage/frame-store';
import { type AnchorSigner, readStoredAnchors, type SignedAuditAnchor } from './audit-anchors';
import {
  auditEventHash,
  latestChainedEvent,
  lockAuditChain,
  MissingMacKeyError,
  readChainHead,
  writingMacKey,
} from './audit-chain';

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
  /**
   * Whether the chain's newest event carries a MAC checked with a key held outside the database
   * (AUDIT_MAC_KEYS). False without a key: every hash is plain sha256, which anyone able to write
   * to the database can recompute, and only anchors show a rewrite.
   */
  keyed: boolean;
  /** Events examined whose hash is plain sha256 (written before a MAC key was configured). */
  unkeyedEvents: number;
  /** Signed anchors found in the store whose signature and hash were checked against the chain. */
  anchorsChecked: number;
}

type ChainRow = Prisma.AuditEventGetPayload<object>;

export const VERIFY_BATCH_SIZE = 1000;
export const BACKFILL_BATCH_SIZE = 500;

/** The migration that added the chain's columns: rows older than its application predate the chain. */
export const CHAIN_MIGRATION = '20261121140000_audit_chain';

export interface VerifyOptions {
  batchSize?: number;
  /** Called after each batch with the events checked so far (a job's progress). */
  onProgress?: (eventsChecked: number) => Promise<void>;
}

/**
 * Why an event breaks the chain, or null when it continues the chain after `previous`: its index,
 * its link, its key (once an event of the chain is keyed, every later one must be) and its hash.
 */
export function chainBreakOf(
  row: ChainRow,
  expectedIndex: number,
  previous: ChainRow | null,
  keys: readonly AuditMacKey[] = [],
): string | null {
  if (row.chainIndex !== expectedIndex) {
    return `chain index gap: expected ${expectedIndex}, found ${row.chainIndex}`;
  }
  if (row.prevHash !== (previous?.hash ?? null)) {
    return previous
      ? 'previous-hash link broken: prevHash does not match the hash of the event before it'
      : 'previous-hash link broken: the first event must have no prevHash';
  }
  if (previous?.macKeyId && !row.macKeyId) {
    return 'unkeyed event after keyed ones: its hash is plain sha256, which anyone able to write to the database can recompute';
  }
  const recomputed = recomputedHash(row, expectedIndex, keys);
  if (recomputed === null)
    return `event hashed with MAC key "${row.macKeyId}", which this verifier does not hold (AUDIT_MAC_KEYS)`;
  if (row.hash !== recomputed)
    return row.macKeyId
      ? `event content does not match its hash (HMAC-SHA256, key "${row.macKeyId}")`
      : 'event content does not match its hash';
  return null;
}

/** The event's hash recomputed from its content at `chainIndex`, or null when its MAC key is not held. */
function recomputedHash(row: ChainRow, chainIndex: number, keys: readonly AuditMacKey[]): string | null {
  try {
    return auditEventHash({ ...row, chainIndex }, keys);
  } catch (error) {
    if (error instanceof MissingMacKeyError) return null;
    throw error;
  }
}

/** When the chain was introduced: the migration runner's record of the chain's migration, or null. */
export async function chainIntroducedAt(prisma: PrismaClient): Promise<Date | null> {
  const rows = await prisma.$queryRaw<{ finished_at: Date }[]>(
    Prisma.sql`SELECT "finished_at" FROM "_prisma_migrations"
               WHERE "migration_name" = ${CHAIN_MIGRATION} AND "rolled_back_at" IS NULL AND "finished_at" IS NOT NULL
               ORDER BY "finished_at" LIMIT 1`,
  );
  return rows[0]?.finished_at ?? null;
}

export interface AuditChainDeps {
  /** The platform client: where the chain's introduction is recorded. */
  prisma: PrismaClient;
  /** The MAC keys that verify keyed events (AUDIT_MAC_KEYS). */
  macKeys: readonly AuditMacKey[];
  /** Where anchors are stored and the key that signs them; null when anchoring is off. */
  anchors: { store: FrameStore; signer: AnchorSigner } | null;
}

const forgedAnchorReason = (chainIndex: number): string =>
  `the anchor of chain index ${chainIndex} does not carry a valid signature: the anchor store was changed`;

/**
 * Unchained events written since the chain existed (every unchained event when its introduction is
 * not recorded): Vigil never writes one, so they were inserted around the application.
 */
function unchainedSince(introducedAt: Date | null) {
  return { chainIndex: null, ...(introducedAt ? { createdAt: { gte: introducedAt } } : {}) };
}

/** Unchained events written before the chain existed: `vigil migrate` chains them. */
function unchainedBefore(introducedAt: Date) {
  return { chainIndex: null, createdAt: { lt: introducedAt } };
}

interface AnchorAt {
  anchor: SignedAuditAnchor;
  valid: boolean;
}

/**
 * Verifies tenants' audit chains and chains rows written before the chain existed.
 */
export class AuditChainService {
  private introducedAt: Promise<Date | null> | null = null;

  constructor(private readonly deps: AuditChainDeps) {}

  /** Whether this deployment MACs audit events. */
  get keyed(): boolean {
    return this.deps.macKeys.length > 0;
  }

  /** Whether a chained event's stored hash is its content's (false when its MAC key is not held). */
  hashMatches(row: ChainRow): boolean {
    if (row.chainIndex === null) return false;
    const recomputed = recomputedHash(row, row.chainIndex, this.deps.macKeys);
    return recomputed !== null && recomputed === row.hash;
  }

  /** Whether a chain whose newest event is `head` is protected by a key held outside the database. */
  private keyedAt(head: { macKeyId: string | null } | null): boolean {
    return this.keyed && (head === null || head.macKeyId !== null);
  }

  /**
   * Walks the tenant's events in chain order, in batches: each event's index must follow the last
   * one's, its prevHash must be the last one's hash and its hash (or MAC) must match its content;
   * at every anchored index the stored hash must be the signed one, and no anchor may lie beyond the
   * chain's end. Reports the first event that breaks any of these (a changed row at that row, a
   * removed one at the next index, a rewritten stretch at the first anchor after it). Events not in
   * the chain at all also fail verification, told apart by when they were written.
   */
  async verify(db: TenantDb, options: VerifyOptions = {}): Promise<AuditChainVerification> {
    const tenantId = tenantIdOf(db);
    const batchSize = options.batchSize ?? VERIFY_BATCH_SIZE;
    const anchors = await this.anchorsOf(tenantId);
    const tally = { eventsChecked: 0, unkeyedEvents: 0, anchorsChecked: 0 };
    let previous: ChainRow | null = null;
    for (;;) {
      const batch: ChainRow[] = await db.auditEvent.findMany({
        where: { chainIndex: previous ? { gt: previous.chainIndex! } : { not: null } },
        orderBy: { chainIndex: 'asc' },
        take: batchSize,
      });
      for (const row of batch) {
        tally.eventsChecked += 1;
        if (!row.macKeyId) tally.unkeyedEvents += 1;
        const reason =
          chainBreakOf(row, (previous?.chainIndex ?? 0) + 1, previous, this.deps.macKeys) ??
          this.anchorBreakOf(row, anchors.get(row.chainIndex!), tally);
        if (reason) {
          return this.result(db, tally, {
            firstBrokenEventId: row.id,
            firstBrokenChainIndex: row.chainIndex,
            reason,
          });
        }
        previous = row;
      }
      await options.onProgress?.(tally.eventsChecked);
      if (batch.length < batchSize) break;
    }
    const end = previous?.chainIndex ?? 0;
    const beyond = [...anchors.entries()].filter(([index]) => index > end).sort(([a], [b]) => a - b)[0];
    if (beyond) {
      const [index, { anchor, valid }] = beyond;
      return this.result(db, tally, {
        firstBrokenEventId: null,
        firstBrokenChainIndex: end + 1,
        reason: valid
          ? `chain truncated: an anchor signed at ${anchor.signedAt} covers chain index ${index}, but the chain ends at ${end}`
          : forgedAnchorReason(index),
      });
    }
    const outside = await this.unchainedReason(db);
    if (outside) {
      return this.result(db, tally, {
        eventsChecked: tally.eventsChecked + outside.count,
        firstBrokenEventId: outside.firstId,
        firstBrokenChainIndex: null,
        reason: outside.reason,
      });
    }
    return {
      ok: true,
      ...tally,
      headHash: previous?.hash ?? null,
      firstBrokenEventId: null,
      firstBrokenChainIndex: null,
      reason: null,
      verifiedAt: new Date(),
      keyed: this.keyedAt(previous),
    };
  }

  /**
   * How many events a verification walks: the chain's head index (read from its unique index) and
   * the events outside the chain. Cheap, so a request can be priced before it runs.
   */
  async length(db: TenantDb): Promise<number> {
    const [head, unchained] = await Promise.all([
      latestChainedEvent(db),
      db.auditEvent.count({ where: { chainIndex: null } }),
    ]);
    return (head?.chainIndex ?? 0) + unchained;
  }

  /** The anchors the store holds for the tenant, by chain index, each with whether its signature holds. */
  private async anchorsOf(tenantId: string): Promise<Map<number, AnchorAt>> {
    const found = new Map<number, AnchorAt>();
    if (!this.deps.anchors) return found;
    const { store, signer } = this.deps.anchors;
    for (const { anchor } of await readStoredAnchors(store, tenantId)) {
      // Anchors of an earlier signing key are the auditor's to check with that key's public key.
      if (!anchor || anchor.keyId !== signer.keyId) continue;
      const valid = anchor.tenantId === tenantId && signer.verify(anchor);
      const existing = found.get(anchor.chainIndex);
      if (!existing || (existing.valid && !valid)) found.set(anchor.chainIndex, { anchor, valid });
    }
    return found;
  }

  private anchorBreakOf(
    row: ChainRow,
    at: AnchorAt | undefined,
    tally: { anchorsChecked: number },
  ): string | null {
    if (!at) return null;
    if (!at.valid) return forgedAnchorReason(row.chainIndex!);
    if (at.anchor.hash !== row.hash)
      return `anchored hash differs: the event at chain index ${row.chainIndex} is not the one anchored (signed) at ${at.anchor.signedAt}; the chain was rewritten at or before it`;
    tally.anchorsChecked += 1;
    return null;
  }

  /**
   * Events outside the chain: those written before the chain existed wait for `vigil migrate`;
   * any other was written around the application (Vigil never writes an event outside the chain).
   */
  private async unchainedReason(
    db: TenantDb,
  ): Promise<{ count: number; firstId: string; reason: string } | null> {
    const first = await db.auditEvent.findFirst({
      where: { chainIndex: null },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      select: { id: true },
    });
    if (!first) return null;
    this.introducedAt ??= chainIntroducedAt(this.deps.prisma);
    const introducedAt = await this.introducedAt;
    const since = unchainedSince(introducedAt);
    const [before, after] = await Promise.all([
      introducedAt ? db.auditEvent.count({ where: unchainedBefore(introducedAt) }) : 0,
      db.auditEvent.count({ where: since }),
    ]);
    const events = (count: number) => `${count} audit event${count === 1 ? ' is' : 's are'}`;
    const parts: string[] = [];
    let firstId = first.id;
    if (after > 0) {
      const inserted = await db.auditEvent.findFirst({
        where: since,
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        select: { id: true },
      });
      firstId = inserted?.id ?? firstId;
      parts.push(
        `${events(after)} not in the chain and ${after === 1 ? 'was' : 'were'} written after the chain existed: inserted around the application, since Vigil writes every event into the chain`,
      );
    }
    if (before > 0) {
      parts.push(
        `${events(before)} from before the chain existed and not chained yet (run \`vigil migrate\` to chain them)`,
      );
    }
    return { count: before + after, firstId, reason: parts.join('; ') };
  }

  private async result(
    db: TenantDb,
    tally: { eventsChecked: number; unkeyedEvents: number; anchorsChecked: number },
    broken: Pick<AuditChainVerification, 'firstBrokenEventId' | 'firstBrokenChainIndex' | 'reason'> & {
      eventsChecked?: number;
    },
  ): Promise<AuditChainVerification> {
    const head = await latestChainedEvent(db);
    return {
      ok: false,
      ...tally,
      headHash: head?.hash ?? null,
      verifiedAt: new Date(),
      keyed: this.keyedAt(head),
      ...broken,
    };
  }
}

/**
 * Chains the audit events that have no place in their tenant's chain yet and were written before
 * the chain existed (older than the application of its migration, as the migration runner recorded
 * it), appending them per tenant in (createdAt, id) order after the tenant's current head, keyed
 * with the client's MAC key when there is one. Any other unchained row was inserted around the
 * application: it is counted, never chained, and verification reports it. Idempotent: a second run
 * finds nothing to do. `vigil migrate` runs it after the migrations.
 */
export async function chainUnchainedAuditEvents(
  prisma: PrismaClient,
  batchSize = BACKFILL_BATCH_SIZE,
): Promise<{ tenants: number; chained: number; outsideChain: number }> {
  const introducedAt = await chainIntroducedAt(prisma);
  const outsideChain = await prisma.auditEvent.count({
    where: unchainedSince(introducedAt),
  });
  if (!introducedAt) return { tenants: 0, chained: 0, outsideChain };
  const legacy = unchainedBefore(introducedAt);
  const keys = auditMacKeysOf(prisma);
  const macKeyId = writingMacKey(keys)?.id ?? null;
  const tenants = await prisma.auditEvent.findMany({
    where: legacy,
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
          where: { tenantId, ...legacy },
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
          const hash = auditEventHash({ ...row, chainIndex, prevHash, macKeyId }, keys);
          ids.push(row.id);
          indexes.push(chainIndex);
          prevHashes.push(prevHash);
          hashes.push(hash);
          prevHash = hash;
        }
        // The append-only trigger allows exactly this: filling in the chain columns of an unchained row.
        await tx.$executeRaw(Prisma.sql`
          UPDATE "AuditEvent" AS event
          SET "chainIndex" = chained.chain_index, "prevHash" = chained.prev_hash, "hash" = chained.hash,
              "macKeyId" = ${macKeyId}
          FROM unnest(${ids}::uuid[], ${indexes}::int[], ${prevHashes}::text[], ${hashes}::text[])
            AS chained(id, chain_index, prev_hash, hash)
          WHERE event."id" = chained.id AND event."chainIndex" IS NULL`);
        return rows.length;
      });
      chained += done;
      if (done < batchSize) break;
    }
  }
  return { tenants: tenants.length, chained, outsideChain };
}
