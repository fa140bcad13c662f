import type { Actor } from '../auth/permissions';
import type { Prisma } from '../generated/prisma/client';
import { appendAuditEvent, type AuditWriter } from './audit-chain';

export type { AuditWriter } from './audit-chain';

/** Who made a change: a user, an API key, or the system (the operator's CLI, workers, clocks). */
export type AuditActor = Pick<Actor, 'tenantId'> & { kind: Actor['kind'] | 'operator'; id: string | null };

/** The system acting on a tenant's behalf: workers, deadlines, budgets. */
export function systemActor(tenantId: string): AuditActor {
  return { tenantId, kind: 'operator', id: null };
}

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId?: string | null;
  data?: Prisma.InputJsonValue;
}

/**
 * Writes the audit record of a change. Always called with the transaction that makes the change,
 * so either both are stored or neither is. The record is appended to the tenant's hash chain
 * (audit-chain.ts); appends of one tenant wait for each other until their transactions end.
 */
export async function recordAudit(tx: AuditWriter, actor: AuditActor, entry: AuditEntry): Promise<void> {
  await appendAuditEvent(tx, {
    tenantId: actor.tenantId,
    actorType: actor.kind,
    actorId: actor.id,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId ?? null,
    data: entry.data ?? {},
  });
}
