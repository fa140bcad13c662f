import type { Actor } from '../auth/permissions';
import type { Prisma } from '../generated/prisma/client';
import { appendAuditEvent, type AuditWriter } from './audit-chain';

export type { AuditWriter } from './audit-chain';

/**
 * Who made a change: a user, an API key, the operator's CLI, or the system itself: a rule (its id)
 * or a worker's job (its name, such as "review-deadlines").
 */
export type AuditActor = Pick<Actor, 'tenantId'> & {
  kind: Actor['kind'] | 'operator' | 'rule' | 'worker';
  id: string | null;
};

/** A worker's job acting on a tenant's behalf: clocks, budgets, restarts. */
export function systemActor(tenantId: string, job: string): AuditActor {
  return { tenantId, kind: 'worker', id: job };
}

/** A rule acting on a tenant's behalf: its firings, incidents and the review items they open. */
export function ruleActor(tenantId: string, ruleId: string): AuditActor {
  return { tenantId, kind: 'rule', id: ruleId };
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
