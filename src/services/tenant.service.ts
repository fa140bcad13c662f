import { z } from 'zod';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';
import type { Tenant } from '../generated/prisma/client';
import { withPrismaErrors } from '../errors/prisma-error.mapper';
import { validateInput } from '../errors/validate-input';
import { hashPassword } from '../auth/password-hasher';
import { newInitialPassword } from '../auth/secret-token';
import { type AuditActor, recordAudit } from '../audit/audit-log';
import { emailSchema, nameSchema, passwordSchema, requireId, slugSchema } from './input-schemas';
import { notFound } from '../errors/domain-error';
import { customLabelsSchema, labelVocabulary } from '../rules/label-vocabulary';
import { Connection, PageArgs, paginate } from './pagination';

const quotasSchema = z.object({
  maxActiveStreams: z.number().int().min(0).max(10_000).optional(),
  maxFps: z.number().min(0.2).max(5).optional(),
  monthlyTokenBudget: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  frameRetentionDays: z.number().int().min(1).max(3650).optional(),
});

const createTenantSchema = z.object({
  slug: slugSchema,
  name: nameSchema,
  quotas: quotasSchema.optional(),
  adminEmail: emailSchema,
  adminPassword: passwordSchema.optional(),
});

const settingsSchema = z.object({
  overBudgetAction: z.enum(['LOCAL', 'PAUSE']).nullish(),
  policyText: z.string().max(4000, 'must be at most 4000 characters').nullish(),
});

export type TenantQuotaFields = z.input<typeof quotasSchema>;
export type TenantSettingsInput = z.input<typeof settingsSchema>;
export type CreateTenantFields = z.input<typeof createTenantSchema>;

export interface CreatedTenant {
  tenant: Tenant;
  adminUserId: string;
  /** Present only when the password was generated: shown once, never stored. */
  initialPassword: string | null;
}

/** Who asks for a platform change: a platform admin's actor, or the operator at the CLI. */
export type PlatformActor = Omit<AuditActor, 'tenantId'>;

/**
 * Tenants are platform-level rows, so this service uses the platform client. It is reachable only
 * by platform admins (GraphQL) and the operator (CLI).
 */
export class TenantService {
  constructor(private readonly prisma: PrismaClient) {}

  list(page: PageArgs): Promise<Connection<Tenant>> {
    return paginate(page, (query) => this.prisma.tenant.findMany(query));
  }

  async create(actor: PlatformActor, input: CreateTenantFields): Promise<CreatedTenant> {
    const { slug, name, quotas, adminEmail, adminPassword } = validateInput(createTenantSchema, input);
    const initialPassword = adminPassword ? null : newInitialPassword();
    const passwordHash = await hashPassword(adminPassword ?? initialPassword!);
    return withPrismaErrors('tenant', () =>
      this.prisma.$transaction(async (tx) => {
        const tenant = await tx.tenant.create({
          data: { slug, name, ...quotas, monthlyTokenBudget: quotas?.monthlyTokenBudget },
        });
        const admin = await tx.user.create({
          data: { tenantId: tenant.id, email: adminEmail, passwordHash, role: 'ADMIN' },
        });
        const auditActor = { ...actor, tenantId: tenant.id };
        await recordAudit(tx, auditActor, {
          action: 'tenant.create',
          entityType: 'Tenant',
          entityId: tenant.id,
          data: { slug, name },
        });
        await recordAudit(tx, auditActor, {
          action: 'user.create',
          entityType: 'User',
          entityId: admin.id,
          data: { email: adminEmail, role: 'ADMIN' },
        });
        return { tenant, adminUserId: admin.id, initialPassword };
      }),
    );
  }

  async updateQuotas(actor: PlatformActor, tenantId: string, input: TenantQuotaFields): Promise<Tenant> {
    requireId(tenantId, 'tenantId');
    const quotas = validateInput(quotasSchema, input);
    return withPrismaErrors('tenant', () =>
      this.prisma.$transaction(async (tx) => {
        // A changed budget is judged afresh: the analysis worker marks the month again if it is
        // still used up, and the streams' notice goes away if it is not.
        const tenant = await tx.tenant.update({
          where: { id: tenantId },
          data: {
            ...quotas,
            ...(quotas.monthlyTokenBudget !== undefined ? { budgetExhaustedMonth: null } : {}),
          },
        });
        await recordAudit(
          tx,
          { ...actor, tenantId },
          { action: 'tenant.updateQuotas', entityType: 'Tenant', entityId: tenantId, data: quotas },
        );
        return tenant;
      }),
    );
  }

  /** The caller's own tenant's settings (tenant admins); the tenant comes from the credential. */
  async updateSettings(actor: AuditActor, input: TenantSettingsInput): Promise<Tenant> {
    const parsed = validateInput(settingsSchema, input);
    const data = {
      ...(parsed.overBudgetAction ? { overBudgetAction: parsed.overBudgetAction } : {}),
      ...(parsed.policyText !== undefined && parsed.policyText !== null
        ? { policyText: parsed.policyText }
        : {}),
    };
    return withPrismaErrors('tenant', () =>
      this.prisma.$transaction(async (tx) => {
        const tenant = await tx.tenant.update({ where: { id: actor.tenantId }, data });
        await recordAudit(tx, actor, {
          action: 'tenant.updateSettings',
          entityType: 'Tenant',
          entityId: actor.tenantId,
          data,
        });
        return tenant;
      }),
    );
  }

  /**
   * Replaces the caller's own tenant's custom labels (tenant admins). Rules already stored that name
   * a removed label keep it (and simply stop matching what nothing reports any more).
   */
  async setCustomLabels(actor: AuditActor, labels: unknown): Promise<Tenant> {
    const wanted = validateInput(customLabelsSchema, labels, 'labels');
    return withPrismaErrors('tenant', () =>
      this.prisma.$transaction(async (tx) => {
        // Touching the row first locks it, so concurrent changes are recorded as what each changed.
        const before = await tx.tenant.update({
          where: { id: actor.tenantId },
          data: { updatedAt: new Date() },
        });
        const tenant = await tx.tenant.update({
          where: { id: actor.tenantId },
          data: { customLabels: wanted },
        });
        await recordAudit(tx, actor, {
          action: 'tenant.setCustomLabels',
          entityType: 'Tenant',
          entityId: actor.tenantId,
          data: {
            labels: wanted,
            added: wanted.filter((label) => !before.customLabels.includes(label)),
            removed: before.customLabels.filter((label) => !wanted.includes(label)),
          },
        });
        return tenant;
      }),
    );
  }

  /**
   * The template a stream gets when it is created without one (the caller's own tenant; tenant
   * admins). Null forgets the choice: new streams then get the tenant's oldest template.
   */
  async setDefaultTemplate(actor: AuditActor, templateId: string | null): Promise<Tenant> {
    const id = templateId === null ? null : requireId(templateId, 'templateId');
    if (id !== null) {
      // A template deleted after this check leaves a default that names nothing: new streams then
      // get the oldest template (StreamService.create), so no lock is needed here.
      const db = tenantDb(this.prisma, actor.tenantId);
      const template = await db.promptTemplate.findUnique({ where: { id }, select: { id: true } });
      if (!template) throw notFound('Prompt template');
    }
    return withPrismaErrors('tenant', () =>
      this.prisma.$transaction(async (tx) => {
        const tenant = await tx.tenant.update({
          where: { id: actor.tenantId },
          data: { defaultTemplateId: id },
        });
        await recordAudit(tx, actor, {
          action: 'tenant.setDefaultTemplate',
          entityType: 'Tenant',
          entityId: actor.tenantId,
          data: { templateId: id },
        });
        return tenant;
      }),
    );
  }

  /** Every label the tenant's rules and gates may name: COCO's, then the tenant's own. */
  labelVocabulary(tenant: Pick<Tenant, 'customLabels'>): string[] {
    return [...labelVocabulary(tenant.customLabels).labels];
  }

  async get(tenantId: string): Promise<Tenant> {
    const tenant = await this.prisma.tenant.findUnique({ where: { id: requireId(tenantId, 'tenantId') } });
    if (!tenant) throw notFound('Tenant');
    return tenant;
  }
}
