import { createHash, createHmac } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditMacKey } from '../config/config';
import { auditMacKeysOf } from '../db/prisma-client';
import type { TenantDb } from '../db/tenant-scoped-db';
import { Prisma } from '../generated/prisma/client';

/**
 * The tamper-evident audit chain. Each tenant's audit events are numbered 1, 2, 3, … (`chainIndex`)
 * in the order they were appended; each stores the hash of the tenant's previous event (`prevHash`,
 * null for the first) and its own `hash`: sha256 (hex) over the RFC 8785 canonical JSON of
 *
 *   { tenantId, chainIndex, prevHash, createdAt (ISO 8601, UTC, milliseconds), actorType, actorId,
 *     action, entityType, entityId, data }
 *
 * so changing, removing or reordering any recorded event breaks the hash of that event or the link
 * from the next one. `data` is canonicalised because PostgreSQL's jsonb does not keep key order.
 *
 * A plain hash can be recomputed by anyone who can write to the database. With AUDIT_MAC_KEYS set,
 * `hash` is instead HMAC-SHA256 (hex) under a key held outside the database, over the same JSON with
 * `macKeyId` (the key's id, also stored on the event) added: rewriting a keyed event, or any event
 * after it, needs the key. Events hashed before a key existed (no `macKeyId`) keep their plain
 * hash and verify as they were; after the first keyed event of a chain every event must be keyed.
 */
export interface ChainedAuditFields {
  tenantId: string;
  chainIndex: number;
  prevHash: string | null;
  createdAt: Date;
  actorType: string;
  actorId: string | null;
  action: string;
  entityType: string;
  entityId: string | null;
  data: unknown;
  /** The MAC key that hashes the event; null or absent: plain sha256. */
  macKeyId?: string | null;
}

/** The exact text that is hashed. */
export function canonicalAuditEncoding(event: ChainedAuditFields): string {
  const encoded = canonicalize({
    tenantId: event.tenantId,
    chainIndex: event.chainIndex,
    prevHash: event.prevHash,
    createdAt: event.createdAt.toISOString(),
    actorType: event.actorType,
    actorId: event.actorId,
    action: event.action,
    entityType: event.entityType,
    entityId: event.entityId,
    data: event.data ?? null,
    // Only on keyed events, so the encoding of events hashed before keys existed is unchanged.
    ...(event.macKeyId ? { macKeyId: event.macKeyId } : {}),
  });
  if (encoded === undefined) throw new TypeError('audit event has no JSON encoding');
  return encoded;
}

/** A keyed event whose key the verifier or writer does not hold. */
export class MissingMacKeyError extends Error {
  constructor(readonly keyId: string) {
    super(`MAC key "${keyId}" is not configured (AUDIT_MAC_KEYS)`);
  }
}

/**
 * The event's hash: sha256 for an event without `macKeyId`, HMAC-SHA256 under that key otherwise
 * (MissingMacKeyError when `keys` has no key of that id).
 */
export function auditEventHash(event: ChainedAuditFields, keys: readonly AuditMacKey[] = []): string {
  const encoding = canonicalAuditEncoding(event);
  if (!event.macKeyId) return createHash('sha256').update(encoding, 'utf8').digest('hex');
  const key = keys.find((candidate) => candidate.id === event.macKeyId);
  if (!key) throw new MissingMacKeyError(event.macKeyId);
  return createHmac('sha256', key.secret).update(encoding, 'utf8').digest('hex');
}

/** The key new events are hashed with: the last of AUDIT_MAC_KEYS, or none. */
export function writingMacKey(keys: readonly AuditMacKey[]): AuditMacKey | null {
  return keys.at(-1) ?? null;
}

/**
 * `data` as PostgreSQL will give it back: a JSON round trip drops undefined members and turns dates
 * into ISO strings, so what is hashed is exactly what is stored.
 */
export function asStoredJson(data: unknown): Prisma.InputJsonValue {
  return JSON.parse(JSON.stringify(data ?? {})) as Prisma.InputJsonValue;
}

/**
 * What appending needs from the caller's transaction: an interactive Prisma transaction, tenant-scoped
 * or platform-wide. Raw statements are used only for the lock and for reading the chain's head,
 * always with the tenant of the event being written.
 */
export interface AuditWriter {
  auditEvent: { create(args: { data: Prisma.AuditEventUncheckedCreateInput }): Promise<unknown> };
  $executeRaw(query: Prisma.Sql): PromiseLike<number>;
  $queryRaw<T = unknown>(query: Prisma.Sql): PromiseLike<T>;
}

export interface ChainHead {
  chainIndex: number;
  hash: string;
}

/**
 * Serialises appends to one tenant's chain until the caller's transaction ends, so concurrent
 * writers never fork it. Must run before the head is read: under READ COMMITTED the next statement
 * then sees the previous holder's committed event.
 */
export async function lockAuditChain(tx: Pick<AuditWriter, '$executeRaw'>, tenantId: string): Promise<void> {
  await tx.$executeRaw(
    Prisma.sql`SELECT pg_advisory_xact_lock(hashtextextended(${`vigil:audit-chain:${tenantId}`}, 0))`,
  );
}

/** The tenant's last chained event, or null for an empty chain. Call with the chain locked. */
export async function readChainHead(
  tx: Pick<AuditWriter, '$queryRaw'>,
  tenantId: string,
): Promise<ChainHead | null> {
  const rows = await tx.$queryRaw<ChainHead[]>(
    Prisma.sql`SELECT "chainIndex", "hash" FROM "AuditEvent"
               WHERE "tenantId" = ${tenantId}::uuid AND "chainIndex" IS NOT NULL
               ORDER BY "chainIndex" DESC LIMIT 1`,
  );
  return rows[0] ?? null;
}

/** The tenant's newest chained event, or null for an empty chain: read without the chain's lock. */
export function latestChainedEvent(
  db: TenantDb,
): Promise<{ chainIndex: number | null; hash: string | null; macKeyId: string | null } | null> {
  return db.auditEvent.findFirst({
    where: { chainIndex: { not: null } },
    orderBy: { chainIndex: 'desc' },
    select: { chainIndex: true, hash: true, macKeyId: true },
  });
}

export type NewAuditEvent = Omit<ChainedAuditFields, 'chainIndex' | 'prevHash' | 'createdAt' | 'macKeyId'>;

/** Appends one event to its tenant's chain inside the caller's transaction. */
export async function appendAuditEvent(tx: AuditWriter, event: NewAuditEvent): Promise<void> {
  await lockAuditChain(tx, event.tenantId);
  const head = await readChainHead(tx, event.tenantId);
  const data = asStoredJson(event.data);
  // Set here, not by the database's default, so the time that is hashed is the time that is stored.
  // The keys travel with the client the transaction came from (the process's configuration).
  const keys = auditMacKeysOf(tx);
  const chained: ChainedAuditFields = {
    ...event,
    data,
    chainIndex: (head?.chainIndex ?? 0) + 1,
    prevHash: head?.hash ?? null,
    createdAt: new Date(),
    macKeyId: writingMacKey(keys)?.id ?? null,
  };
  await tx.auditEvent.create({
    data: {
      tenantId: chained.tenantId,
      actorType: chained.actorType,
      actorId: chained.actorId,
      action: chained.action,
      entityType: chained.entityType,
      entityId: chained.entityId,
      data,
      createdAt: chained.createdAt,
      chainIndex: chained.chainIndex,
      prevHash: chained.prevHash,
      hash: auditEventHash(chained, keys),
      macKeyId: chained.macKeyId,
    },
  });
}
