import { z } from 'zod';
import type { Actor } from '../auth/permissions';
import type { TenantDb } from '../db/tenant-scoped-db';
import { badInput } from '../errors/domain-error';
import { validateInput } from '../errors/validate-input';
import type { PolicyReason } from '../generated/prisma/client';
import { PolicyReasons } from '../review/policy-reasons';
import { requireId } from './input-schemas';

const DECISIONS = ['DISMISS', 'CONFIRM_VIOLATION', 'ESCALATE', 'STOP_STREAM'] as const;

const labelSchema = z.string().trim().min(1).max(120);
const policySchema = z.string().trim().max(2000);
const decisionsSchema = z
  .array(z.enum(DECISIONS, { error: `must be one of ${DECISIONS.join(', ')}` }))
  .max(DECISIONS.length)
  .transform((decisions) => [...new Set(decisions)].sort());

const createSchema = z.object({
  label: labelSchema,
  policy: policySchema.nullish().transform((policy) => policy ?? ''),
  decisions: decisionsSchema.nullish().transform((decisions) => decisions ?? []),
});

const updateSchema = z.object({
  label: labelSchema.nullish(),
  policy: policySchema.nullish(),
  decisions: decisionsSchema.nullish(),
});

export type PolicyReasonInput = { label?: unknown; policy?: unknown; decisions?: unknown };

/**
 * The tenant's list of policy reasons, from which moderators choose why they decide: read by every
 * role that reads review items, written by admins.
 */
export class PolicyReasonService {
  private readonly reasons = new PolicyReasons();

  list(db: TenantDb, includeArchived: boolean | null | undefined): Promise<PolicyReason[]> {
    return this.reasons.list(db, includeArchived === true);
  }

  create(db: TenantDb, actor: Actor, input: PolicyReasonInput): Promise<PolicyReason> {
    return this.reasons.create(db, actor, validateInput(createSchema, input));
  }

  async update(
    db: TenantDb,
    actor: Actor,
    policyReasonId: string,
    input: PolicyReasonInput,
  ): Promise<PolicyReason> {
    const id = requireId(policyReasonId, 'policyReasonId');
    // Another tenant's id is NOT_FOUND before anything else is said about the change.
    await this.reasons.get(db, id);
    const parsed = validateInput(updateSchema, input);
    const fields = Object.fromEntries(Object.entries(parsed).filter(([, value]) => value != null));
    if (Object.keys(fields).length === 0)
      throw badInput([{ field: 'input', message: 'give a label, a policy or decisions to change' }]);
    return this.reasons.update(db, actor, id, fields);
  }

  async archive(db: TenantDb, actor: Actor, policyReasonId: string): Promise<PolicyReason> {
    const id = requireId(policyReasonId, 'policyReasonId');
    await this.reasons.get(db, id);
    return this.reasons.archive(db, actor, id);
  }
}
