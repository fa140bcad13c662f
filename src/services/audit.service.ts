import { z } from 'zod';
import type { Actor } from '../auth/permissions';
import type { Prisma } from '../generated/prisma/client';
import type { TenantDb } from '../db/tenant-scoped-db';
import { validateInput } from '../errors/validate-input';
import { appendAuditEvent, type AuditWriter } from '../audit/audit-chain';
import { Connection, PageArgs, paginate } from './pagination';

export type { AuditWriter } from '../audit/audit-chain';

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
 * so either both are stored or neither is. The record is appended to the tenant's hash chain
 * (src/services/audit-chain.ts); appends of one tenant wait for each other until their transactions end.
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

export interface AuditFilter {
  entityType?: string | null;
  entityId?: string | null;
  action?: string | null;
  actorId?: string | null;
  from?: Date | null;
  to?: Date | null;
  upToChainIndex?: number | null;
}

const text = z.string().trim().max(200).nullish();
const filterSchema = z
  .object({
    entityType: text,
    entityId: text,
    action: text,
    actorId: text,
    from: z.date().nullish(),
    to: z.date().nullish(),
    upToChainIndex: z.number().int().min(1).nullish(),
  })
  .refine((filter) => !filter.from || !filter.to || filter.from <= filter.to, {
    message: 'from must not be after to',
    path: ['from'],
  });

export class AuditService {
  /** The tenant's audit log, newest first, filtered by entity, action, actor and time (inclusive). */
  async list(db: TenantDb, filter: AuditFilter, page: PageArgs): Promise<Connection<AuditEventRow>> {
    const parsed = validateInput(filterSchema, filter, 'filter');
    const where: Prisma.AuditEventWhereInput = {
      ...(parsed.entityType ? { entityType: parsed.entityType } : {}),
      ...(parsed.entityId ? { entityId: parsed.entityId } : {}),
      ...(parsed.action ? { action: parsed.action } : {}),
      ...(parsed.actorId ? { actorId: parsed.actorId } : {}),
      ...(parsed.upToChainIndex ? { chainIndex: { lte: parsed.upToChainIndex } } : {}),
      ...(parsed.from || parsed.to
        ? {
            createdAt: {
              ...(parsed.from ? { gte: parsed.from } : {}),
              ...(parsed.to ? { lte: parsed.to } : {}),
            },
          }
        : {}),
    };
    return paginate(
      page,
      (query) => db.auditEvent.findMany({ ...query, where: { ...where, ...query.where } }),
      'desc',
    );
  }
}

export type AuditEventRow = Prisma.AuditEventGetPayload<object>;
