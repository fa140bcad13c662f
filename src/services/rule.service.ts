import { z } from 'zod';
import type { Actor } from '../auth/permissions';
import type { TenantDb } from '../db/tenant-scoped-db';
import { notFound } from '../errors/domain-error';
import { withPrismaErrors } from '../errors/prisma-error.mapper';
import { validateInput } from '../errors/validate-input';
import type { Prisma, Rule } from '../generated/prisma/client';
import { assertKnownLabels, type VocabularyLoader } from '../rules/label-vocabulary';
import {
  actionSchema,
  conditionSchema,
  conditionShapeProblems,
  labelsInCondition,
} from '../rules/rule-definition';
import { recordAudit } from '../audit/audit-log';
import { nameSchema, requireId, Unvalidated } from './input-schemas';
import { Connection, PageArgs, paginate } from './pagination';

const boundedCondition = conditionSchema.superRefine((condition, context) => {
  for (const message of conditionShapeProblems(condition)) context.addIssue({ code: 'custom', message });
});

const ruleFields = {
  name: nameSchema,
  enabled: z.boolean(),
  condition: boundedCondition,
  action: actionSchema,
  priority: z.number().int().min(0).max(1000),
  cooldownSeconds: z.number().int().min(0).max(86_400),
};

const createRuleSchema = z.object({
  ...ruleFields,
  enabled: ruleFields.enabled.default(true),
  priority: ruleFields.priority.default(0),
  cooldownSeconds: ruleFields.cooldownSeconds.default(60),
});

const updateRuleSchema = z
  .object({
    name: ruleFields.name.optional(),
    condition: ruleFields.condition.optional(),
    action: ruleFields.action.optional(),
    priority: ruleFields.priority.optional(),
    cooldownSeconds: ruleFields.cooldownSeconds.optional(),
  })
  .refine((value) => Object.values(value).some((field) => field !== undefined), 'names nothing to change');

export type CreateRuleFields = Unvalidated<z.input<typeof createRuleSchema>>;
export type UpdateRuleFields = Unvalidated<z.input<typeof updateRuleSchema>>;

export class RuleService {
  /** `vocabulary` reads a tenant's labels: a condition may name only those. */
  constructor(private readonly vocabulary: VocabularyLoader) {}

  list(db: TenantDb, page: PageArgs, enabled?: boolean | null): Promise<Connection<Rule>> {
    return paginate(page, (query) =>
      db.rule.findMany({ ...query, where: { ...query.where, ...(enabled == null ? {} : { enabled }) } }),
    );
  }

  async get(db: TenantDb, ruleId: string): Promise<Rule> {
    const rule = await db.rule.findUnique({ where: { id: requireId(ruleId, 'ruleId') } });
    if (!rule) throw notFound('Rule');
    return rule;
  }

  async create(db: TenantDb, actor: Actor, input: CreateRuleFields): Promise<Rule> {
    const rule = validateInput(createRuleSchema, input);
    await assertKnownLabels(
      this.vocabulary,
      actor.tenantId,
      labelsInCondition(rule.condition, 'input.condition'),
    );
    return withPrismaErrors('rule', () =>
      db.$transaction(async (tx) => {
        const created = await tx.rule.create({
          data: {
            ...rule,
            tenantId: actor.tenantId,
            condition: rule.condition as Prisma.InputJsonValue,
            action: rule.action,
          },
        });
        await recordAudit(tx, actor, {
          action: 'rule.create',
          entityType: 'Rule',
          entityId: created.id,
          data: { name: rule.name, condition: rule.condition, action: rule.action } as Prisma.InputJsonValue,
        });
        return created;
      }),
    );
  }

  async update(db: TenantDb, actor: Actor, ruleId: string, input: UpdateRuleFields): Promise<Rule> {
    const id = requireId(ruleId, 'ruleId');
    const changes = validateInput(updateRuleSchema, input);
    if (changes.condition) {
      await assertKnownLabels(
        this.vocabulary,
        actor.tenantId,
        labelsInCondition(changes.condition, 'input.condition'),
      );
    }
    // A condition or action that passed validation replaces the one that failed: its old error no
    // longer describes the rule (the next evaluation records a new one if it still fails).
    const clearsError = changes.condition !== undefined || changes.action !== undefined;
    return this.write(
      db,
      actor,
      id,
      'rule.update',
      changes as Prisma.RuleUncheckedUpdateInput,
      clearsError ? { lastError: null, lastErrorAt: null } : {},
    );
  }

  setEnabled(db: TenantDb, actor: Actor, ruleId: string, enabled: boolean): Promise<Rule> {
    const id = requireId(ruleId, 'ruleId');
    return this.write(db, actor, id, enabled ? 'rule.enable' : 'rule.disable', { enabled });
  }

  async delete(db: TenantDb, actor: Actor, ruleId: string): Promise<string> {
    const id = requireId(ruleId, 'ruleId');
    return withPrismaErrors('rule', () =>
      db.$transaction(async (tx) => {
        const deleted = await tx.rule.delete({ where: { id } });
        await recordAudit(tx, actor, {
          action: 'rule.delete',
          entityType: 'Rule',
          entityId: id,
          data: { name: deleted.name },
        });
        return id;
      }),
    );
  }

  private write(
    db: TenantDb,
    actor: Actor,
    id: string,
    action: string,
    data: Prisma.RuleUncheckedUpdateInput,
    /** Written with the change but not part of what the audit records as changed. */
    bookkeeping: Prisma.RuleUncheckedUpdateInput = {},
  ): Promise<Rule> {
    return withPrismaErrors('rule', () =>
      db.$transaction(async (tx) => {
        const rule = await tx.rule.update({ where: { id }, data: { ...data, ...bookkeeping } });
        await recordAudit(tx, actor, {
          action,
          entityType: 'Rule',
          entityId: id,
          data: data as Prisma.InputJsonValue,
        });
        return rule;
      }),
    );
  }
}
