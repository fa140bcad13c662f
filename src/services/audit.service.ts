import type { Actor } from '../auth/permissions';
import type { Prisma } from '../generated/prisma/client';
import type { TenantDb } from '../db/tenant-scoped-db';
import { Connection, PageArgs, paginate } from './pagination';

/** Who made a change: a user, an API key, or the operator at the command line. */
export type AuditActor = Pick<Actor, 'tenantId'> & { kind: Actor['kind'] | 'operator'; id: string | null };

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId?: string | null;
  data?: Prisma.InputJsonValue;
}

/**
 * Writes the audit record of a change. Always called with the transaction that makes the change,
 * so either both are stored or neither is.
 */
/** Anything that can write an audit row: a tenant-scoped transaction or a platform transaction. */
export interface AuditWriter {
  auditEvent: { create(args: { data: Prisma.AuditEventUncheckedCreateInput }): Promise<unknown> };
}

export async function recordAudit(tx: AuditWriter, actor: AuditActor, entry: AuditEntry): Promise<void> {
  await tx.auditEvent.create({
    data: {
      tenantId: actor.tenantId,
      actorType: actor.kind,
      actorId: actor.id,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId ?? null,
      data: entry.data ?? {},
    },
  });
}

export interface AuditFilter {
  entityType?: string | null;
  entityId?: string | null;
  action?: string | null;
}

export class AuditService {
  async list(db: TenantDb, filter: AuditFilter, page: PageArgs): Promise<Connection<AuditEventRow>> {
    const where: Prisma.AuditEventWhereInput = {
      ...(filter.entityType ? { entityType: filter.entityType } : {}),
      ...(filter.entityId ? { entityId: filter.entityId } : {}),
      ...(filter.action ? { action: filter.action } : {}),
    };
    return paginate(page, (query) =>
      db.auditEvent.findMany({ ...query, where: { ...where, ...query.where } }),
    );
  }
}

export type AuditEventRow = Prisma.AuditEventGetPayload<object>;
