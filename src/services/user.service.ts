import { z } from 'zod';
import type { Actor } from '../auth/permissions';
import { hashPassword } from '../auth/password-hasher';
import { newInitialPassword } from '../auth/secret-token';
import type { TenantDb, TenantTx } from '../db/tenant-scoped-db';
import { conflict, ErrorReason, forbidden, notFound } from '../errors/domain-error';
import { withPrismaErrors } from '../errors/prisma-error.mapper';
import { validateInput } from '../errors/validate-input';
import type { User } from '../generated/prisma/client';
import { recordAudit } from '../audit/audit-log';
import type { CredentialCache } from '../auth/credential-cache';
import { type ApiKeyService, type KeyRevocationCause, roleMayCreateKeys } from './api-key.service';
import { emailSchema, passwordSchema, requireId, roleSchema } from './input-schemas';
import { Connection, PageArgs, paginate } from './pagination';

const createUserSchema = z.object({
  email: emailSchema,
  role: roleSchema,
  password: passwordSchema.optional(),
});

const updateUserSchema = z
  .object({ role: roleSchema.optional(), disabled: z.boolean().optional() })
  .refine((value) => value.role !== undefined || value.disabled !== undefined, 'names nothing to change');

export interface CreatedUser {
  user: User;
  /** Present only when the password was generated: shown once, never stored. */
  initialPassword: string | null;
}

export interface ResetPassword {
  user: User;
  /** Shown once, to the admin who reset it; only its hash is stored. */
  temporaryPassword: string;
}

export class UserService {
  constructor(
    private readonly credentials: CredentialCache,
    private readonly apiKeys: ApiKeyService,
  ) {}

  list(db: TenantDb, page: PageArgs): Promise<Connection<User>> {
    return paginate(page, (query) => db.user.findMany(query));
  }

  async get(db: TenantDb, userId: string): Promise<User> {
    const user = await db.user.findUnique({ where: { id: requireId(userId, 'userId') } });
    if (!user) throw notFound('User');
    return user;
  }

  async create(db: TenantDb, actor: Actor, input: z.input<typeof createUserSchema>): Promise<CreatedUser> {
    const { email, role, password } = validateInput(createUserSchema, input);
    const initialPassword = password ? null : newInitialPassword();
    const passwordHash = await hashPassword(password ?? initialPassword!);
    const user = await withPrismaErrors('user', () =>
      db.$transaction(async (tx) => {
        const created = await tx.user.create({
          data: { tenantId: actor.tenantId, email, role, passwordHash },
        });
        await recordAudit(tx, actor, {
          action: 'user.create',
          entityType: 'User',
          entityId: created.id,
          data: { email, role },
        });
        return created;
      }),
    );
    return { user, initialPassword };
  }

  async update(
    db: TenantDb,
    actor: Actor,
    userId: string,
    input: z.input<typeof updateUserSchema>,
  ): Promise<User> {
    const id = requireId(userId, 'userId');
    const { role, disabled } = validateInput(updateUserSchema, input);
    if (actor.kind === 'user' && actor.id === id && ((role && role !== 'ADMIN') || disabled)) {
      throw conflict('You cannot demote or disable yourself; ask another admin', ErrorReason.SELF_CHANGE);
    }
    const { updated, revokedKeys } = await withPrismaErrors('user', () =>
      db.$transaction(async (tx) => {
        const before = await tx.user.findUnique({ where: { id }, select: { role: true } });
        const user = await tx.user.update({
          where: { id },
          data: {
            ...(role ? { role } : {}),
            ...(disabled === undefined ? {} : { disabledAt: disabled ? new Date() : null }),
          },
        });
        if (disabled) {
          // A disabled user's sessions end now, not when they expire.
          await tx.session.updateMany({
            where: { userId: id, revokedAt: null },
            data: { revokedAt: new Date() },
          });
        }
        await recordAudit(tx, actor, {
          action: 'user.update',
          entityType: 'User',
          entityId: id,
          data: { role: role ?? null, disabled: disabled ?? null },
        });
        // Keys live no longer than their creator's right to make them.
        const cause: KeyRevocationCause | null = disabled
          ? 'creator.disabled'
          : before && roleMayCreateKeys(before.role) && !roleMayCreateKeys(user.role)
            ? 'creator.demoted'
            : null;
        const revokedKeys = cause ? await this.apiKeys.revokeCreatedBy(tx, actor, { userId: id }, cause) : [];
        return { updated: user, revokedKeys };
      }),
    );
    // A new role or a disabled account applies to the very next request, not after a cache expiry.
    await this.credentials.revoke({ userId: id });
    await this.apiKeys.announceRevoked(revokedKeys);
    return updated;
  }

  async delete(db: TenantDb, actor: Actor, userId: string): Promise<string> {
    const id = requireId(userId, 'userId');
    if (actor.kind === 'user' && actor.id === id)
      throw conflict('You cannot delete yourself; ask another admin', ErrorReason.SELF_CHANGE);
    const revokedKeys = await withPrismaErrors('user', () =>
      db.$transaction(async (tx) => {
        const user = await tx.user.delete({ where: { id } });
        await recordAudit(tx, actor, {
          action: 'user.delete',
          entityType: 'User',
          entityId: id,
          data: { email: user.email },
        });
        return this.apiKeys.revokeCreatedBy(tx, actor, { userId: id }, 'creator.deleted');
      }),
    );
    await this.credentials.revoke({ userId: id });
    await this.apiKeys.announceRevoked(revokedKeys);
    return id;
  }

  /**
   * Replaces a user's password with a temporary one (returned once) that opens only a session that
   * may change it: every session of the user ends in the same transaction, with the audit event,
   * and every API process forgets them and closes their sockets. The user's API keys stay. An admin
   * changes their own password with changePassword instead.
   */
  async resetPassword(db: TenantDb, actor: Actor, userId: string): Promise<ResetPassword> {
    const id = requireId(userId, 'userId');
    if (actor.kind === 'user' && actor.id === id) {
      throw conflict('Change your own password with changePassword', ErrorReason.SELF_CHANGE);
    }
    const target = await db.user.findUnique({ where: { id }, select: { isPlatformAdmin: true } });
    if (!target) throw notFound('User');
    // A platform admin's password opens the management of every tenant, not only this one.
    if (target.isPlatformAdmin && !actor.isPlatformAdmin) {
      throw forbidden("Only a platform admin may reset a platform admin's password");
    }
    const temporaryPassword = newInitialPassword();
    const passwordHash = await hashPassword(temporaryPassword);
    const user = await withPrismaErrors('user', () =>
      db.$transaction(async (tx) => {
        const { user: updated, sessionsEnded } = await replacePassword(tx, id, passwordHash, {
          changeRequired: true,
        });
        await recordAudit(tx, actor, {
          action: 'user.passwordReset',
          entityType: 'User',
          entityId: id,
          data: { email: updated.email, sessionsEnded },
        });
        return updated;
      }),
    );
    await this.credentials.revoke({ userId: id });
    return { user, temporaryPassword };
  }
}

/**
 * Sets a user's password and ends every session of theirs, in the caller's transaction: no session
 * opened with the old password outlives it, whether its owner changed it or an admin reset it. The
 * caller has every API process forget those sessions once the transaction commits.
 */
export async function replacePassword(
  tx: TenantTx,
  userId: string,
  passwordHash: string,
  { changeRequired }: { changeRequired: boolean },
): Promise<{ user: User; sessionsEnded: number }> {
  const now = new Date();
  const user = await tx.user.update({
    where: { id: userId },
    data: { passwordHash, passwordChangeRequired: changeRequired, passwordChangedAt: now },
  });
  const ended = await tx.session.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } });
  return { user, sessionsEnded: ended.count };
}
