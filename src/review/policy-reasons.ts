import { type AuditActor, recordAudit } from '../audit/audit-log';
import type { TenantDb, TenantTx } from '../db/tenant-scoped-db';
import { conflict, ErrorReason, notFound } from '../errors/domain-error';
import { withPrismaErrors } from '../errors/prisma-error.mapper';
import type { PolicyReason } from '../generated/prisma/client';

/** A policy reason as an admin writes it: the label people choose, the policy it applies, the decisions it may justify. */
export type PolicyReasonFields = { label: string; policy: string; decisions: string[] };

/**
 * The owner of a tenant's policy reasons: every write is here, with its audit event in the same
 * transaction. Reasons are archived rather than deleted, because decided items keep a copy of the
 * label and policy and name the reason they were chosen from.
 */
export class PolicyReasons {
  list(db: TenantDb, includeArchived: boolean): Promise<PolicyReason[]> {
    return db.policyReason.findMany({
      where: includeArchived ? {} : { archivedAt: null },
      orderBy: [{ label: 'asc' }],
    });
  }

  async get(db: TenantDb | TenantTx, id: string): Promise<PolicyReason> {
    const reason = await db.policyReason.findUnique({ where: { id } });
    if (!reason) throw notFound('Policy reason');
    return reason;
  }

  create(db: TenantDb, actor: AuditActor, fields: PolicyReasonFields): Promise<PolicyReason> {
    return withPrismaErrors('policy reason', () =>
      db.$transaction(async (tx) => {
        const created = await tx.policyReason.create({ data: { tenantId: actor.tenantId, ...fields } });
        await recordAudit(tx, actor, {
          action: 'policyReason.create',
          entityType: 'PolicyReason',
          entityId: created.id,
          data: fields,
        });
        return created;
      }),
    );
  }

  /** Changes a live reason; an archived one stays as it was when archived. */
  update(
    db: TenantDb,
    actor: AuditActor,
    id: string,
    fields: Partial<PolicyReasonFields>,
  ): Promise<PolicyReason> {
    return withPrismaErrors('policy reason', () =>
      db.$transaction(async (tx) => {
        const changed = await tx.policyReason.updateMany({ where: { id, archivedAt: null }, data: fields });
        if (changed.count === 0) throw archived(await this.get(tx, id));
        await recordAudit(tx, actor, {
          action: 'policyReason.update',
          entityType: 'PolicyReason',
          entityId: id,
          data: fields,
        });
        return tx.policyReason.findUniqueOrThrow({ where: { id } });
      }),
    );
  }

  /** Takes a reason off the list; items already decided with it keep its label and policy. */
  archive(db: TenantDb, actor: AuditActor, id: string): Promise<PolicyReason> {
    return db.$transaction(async (tx) => {
      const changed = await tx.policyReason.updateMany({
        where: { id, archivedAt: null },
        data: { archivedAt: new Date() },
      });
      if (changed.count === 0) throw archived(await this.get(tx, id));
      await recordAudit(tx, actor, {
        action: 'policyReason.archive',
        entityType: 'PolicyReason',
        entityId: id,
      });
      return tx.policyReason.findUniqueOrThrow({ where: { id } });
    });
  }
}

/** Why a change of an existing reason did not apply: it is archived (kept only for the record). */
function archived(reason: PolicyReason) {
  return conflict(`The policy reason "${reason.label}" is archived`, ErrorReason.INVALID_TRANSITION);
}
