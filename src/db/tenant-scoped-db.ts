import { Prisma } from '../generated/prisma/client';
import type { PrismaClient } from './prisma-client';

/**
 * Tenant isolation by construction (docs/principles.md, 2).
 *
 * `tenantDb(prisma, tenantId)` returns a Prisma client in which every query on a tenant-owned model
 * is confined to one tenant: reads and writes get `tenantId` added to their filter, creates get it
 * added to their data, and any attempt to name another tenant throws. Services receive only this
 * client, so no resolver or service can reach another tenant's rows even by mistake. The database
 * backs this up with composite foreign keys (tenantId, id) between tenant-owned rows.
 */
export const TENANT_OWNED_MODELS: ReadonlySet<string> = new Set([
  'User',
  'Session',
  'ApiKey',
  'Stream',
  'StreamScene',
  'PromptTemplate',
  'PromptTemplateVersion',
  'Rule',
  'AuditEvent',
  'AuditVerification',
  'AuditAnchor',
  'Frame',
  'Window',
  'Analysis',
  'UsageCounter',
  'Incident',
  'IncidentFiring',
  'ReviewQueue',
  'ReviewItem',
  'ReviewNote',
  'PolicyReason',
  'Alert',
  'WebhookEndpoint',
  'WebhookDelivery',
]);

const FILTERED_OPERATIONS = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'count',
  'aggregate',
  'groupBy',
  'update',
  'updateMany',
  'updateManyAndReturn',
  'delete',
  'deleteMany',
]);

export class TenantScopeViolation extends Error {}

type Args = Record<string, unknown>;

function withTenantData(data: unknown, tenantId: string, model: string): Args {
  const row = (data ?? {}) as Args;
  if ('tenantId' in row && row.tenantId !== tenantId) {
    throw new TenantScopeViolation(`${model}: data names another tenant`);
  }
  if ('tenant' in row)
    throw new TenantScopeViolation(`${model}: set tenantId through the scope, not a relation`);
  return { ...row, tenantId };
}

function rejectTenantChange(data: unknown, tenantId: string, model: string): void {
  const row = (data ?? {}) as Args;
  if (('tenantId' in row && row.tenantId !== tenantId) || 'tenant' in row) {
    throw new TenantScopeViolation(`${model}: a row cannot move to another tenant`);
  }
}

export function scopeArgs(model: string, operation: string, rawArgs: unknown, tenantId: string): Args {
  const args = { ...((rawArgs ?? {}) as Args) };
  if (FILTERED_OPERATIONS.has(operation)) {
    const where = (args.where ?? {}) as Args;
    if ('tenantId' in where && where.tenantId !== tenantId) {
      throw new TenantScopeViolation(`${model}: filter names another tenant`);
    }
    args.where = { ...where, tenantId };
    if (operation.startsWith('update')) rejectTenantChange(args.data, tenantId, model);
    return args;
  }
  switch (operation) {
    case 'create':
      args.data = withTenantData(args.data, tenantId, model);
      return args;
    case 'createMany':
    case 'createManyAndReturn':
      args.data = (Array.isArray(args.data) ? args.data : [args.data]).map((row) =>
        withTenantData(row, tenantId, model),
      );
      return args;
    case 'upsert': {
      const where = (args.where ?? {}) as Args;
      if ('tenantId' in where && where.tenantId !== tenantId) {
        throw new TenantScopeViolation(`${model}: filter names another tenant`);
      }
      args.where = { ...where, tenantId };
      args.create = withTenantData(args.create, tenantId, model);
      rejectTenantChange(args.update, tenantId, model);
      return args;
    }
    default:
      // Raw queries and operations added by future Prisma versions cannot be scoped safely.
      throw new TenantScopeViolation(`${model}.${operation} is not available on a tenant-scoped client`);
  }
}

function createTenantDb(prisma: PrismaClient, tenantId: string) {
  return prisma.$extends(
    Prisma.defineExtension({
      name: 'tenant-scope',
      query: {
        $allModels: {
          $allOperations({ model, operation, args, query }) {
            if (!TENANT_OWNED_MODELS.has(model)) {
              throw new TenantScopeViolation(`${model} is not tenant-owned; use a platform service`);
            }
            return query(scopeArgs(model, operation, args, tenantId));
          },
        },
      },
    }),
  );
}

export type TenantDb = ReturnType<typeof createTenantDb>;
/** The client handed to the callback of `TenantDb.$transaction`. */
export type TenantTx = Parameters<Parameters<TenantDb['$transaction']>[0]>[0];

// Extending a client is cheap but not free; a request path should not pay it every time.
const cache = new WeakMap<PrismaClient, Map<string, TenantDb>>();
const tenantOf = new WeakMap<TenantDb, string>();
const MAX_CACHED_TENANTS = 1000;

export function tenantDb(prisma: PrismaClient, tenantId: string): TenantDb {
  let perTenant = cache.get(prisma);
  if (!perTenant) {
    perTenant = new Map();
    cache.set(prisma, perTenant);
  }
  let scoped = perTenant.get(tenantId);
  if (!scoped) {
    if (perTenant.size >= MAX_CACHED_TENANTS) perTenant.clear();
    scoped = createTenantDb(prisma, tenantId);
    perTenant.set(tenantId, scoped);
    tenantOf.set(scoped, tenantId);
  }
  return scoped;
}

/** The tenant a scoped client is confined to. */
export function tenantIdOf(db: TenantDb): string {
  const tenantId = tenantOf.get(db);
  if (!tenantId) throw new TenantScopeViolation('not a tenant-scoped client');
  return tenantId;
}
