import { z } from 'zod';
import type { Prisma } from '../generated/prisma/client';
import type { TenantDb } from '../db/tenant-scoped-db';
import { validateInput } from '../errors/validate-input';
import { Connection, PageArgs, paginate } from './pagination';

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
