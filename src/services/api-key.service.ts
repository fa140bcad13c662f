import { z } from 'zod';
import { API_KEY_SCOPES, type Actor, Permission, ROLE_PERMISSIONS } from '../auth/permissions';
import { newApiKey } from '../auth/secret-token';
import type { TenantDb, TenantTx } from '../db/tenant-scoped-db';
import { conflict, ErrorReason, forbidden, notFound, unauthenticated } from '../errors/domain-error';
import { Prisma } from '../generated/prisma/client';
import { validateInput } from '../errors/validate-input';
import type { ApiKey } from '../generated/prisma/client';
import type { Role } from '../generated/prisma/enums';
import { type AuditActor, recordAudit } from '../audit/audit-log';
import type { CredentialCache } from '../auth/credential-cache';
import { nameSchema, requireId, roleSchema } from './input-schemas';
import { Connection, PageArgs, paginate } from './pagination';

const createApiKeySchema = z
  .object({
    name: nameSchema,
    role: roleSchema,
    scopes: z
      .array(z.enum(API_KEY_SCOPES))
      .max(API_KEY_SCOPES.length)
      .nullish()
      .transform((scopes) => [...new Set(scopes ?? [])]),
  })
  // Claiming and deciding is review work: a key whose role does no review work cannot be given it.
  .refine((key) => !key.scopes.includes('review') || key.role === 'ADMIN' || key.role === 'MODERATOR', {
    path: ['scopes'],
    message: 'the review scope needs a role that reviews (ADMIN or MODERATOR)',
  });

/** Why a key is revoked: by hand, or with its creator (a person or the key that made it). */
export type KeyRevocationCause =
  'creator.deleted' | 'creator.disabled' | 'creator.demoted' | 'creator.revoked';

/** Whose keys end: a person's, or a key's (the keys it minted). */
export type KeyCreator = { userId: string } | { apiKeyId: string };

export interface CreatedApiKey {
  apiKey: ApiKey;
  /** The whole key. Shown once: only a digest of its secret part is stored. */
  secret: string;
}

export class ApiKeyService {
  constructor(private readonly credentials: CredentialCache) {}

  list(db: TenantDb, page: PageArgs): Promise<Connection<ApiKey>> {
    return paginate(page, (query) => db.apiKey.findMany(query));
  }

  async create(
    db: TenantDb,
    actor: AuditActor,
    input: z.input<typeof createApiKeySchema>,
  ): Promise<CreatedApiKey> {
    const { name, role, scopes } = validateInput(createApiKeySchema, input);
    const { key, prefix, secretHash } = newApiKey();
    const createdByUserId = actor.kind === 'user' ? actor.id : null;
    const createdByApiKeyId = actor.kind === 'apiKey' ? actor.id : null;
    const apiKey = await db.$transaction(async (tx) => {
      await assertCreatorLive(tx, actor);
      const created = await tx.apiKey.create({
        data: {
          tenantId: actor.tenantId,
          name,
          role,
          scopes,
          prefix,
          secretHash,
          createdByUserId,
          createdByApiKeyId,
        },
      });
      await recordAudit(tx, actor, {
        action: 'apiKey.create',
        entityType: 'ApiKey',
        entityId: created.id,
        data: { name, role, scopes, prefix },
      });
      return created;
    });
    return { apiKey, secret: key };
  }

  async revoke(db: TenantDb, actor: Actor, apiKeyId: string): Promise<ApiKey> {
    const id = requireId(apiKeyId, 'apiKeyId');
    const { revoked, cascaded } = await db.$transaction(async (tx) => {
      const existing = await tx.apiKey.findUnique({ where: { id } });
      if (!existing) throw notFound('API key');
      if (existing.revokedAt) throw conflict('This API key is already revoked', ErrorReason.ALREADY_REVOKED);
      const updated = await tx.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
      await recordAudit(tx, actor, { action: 'apiKey.revoke', entityType: 'ApiKey', entityId: id });
      return { revoked: updated, cascaded: await this.revokeCreatedBy(tx, actor, { apiKeyId: id }) };
    });
    await this.announceRevoked([id, ...cascaded]);
    return revoked;
  }

  /**
   * Revokes, in the transaction of the change that ends `creator`'s right to hold keys, every live
   * key it created, then the keys those created, and so on, each with its audit event. Returns
   * their ids, for `announceRevoked` once the transaction has committed.
   */
  async revokeCreatedBy(
    tx: TenantTx,
    actor: AuditActor,
    creator: KeyCreator,
    cause: KeyRevocationCause = 'creator.revoked',
  ): Promise<string[]> {
    const revoked: string[] = [];
    let creators: KeyCreator[] = [creator];
    let why = cause;
    while (creators.length > 0) {
      const userIds = creators.flatMap((c) => ('userId' in c ? [c.userId] : []));
      const keyIds = creators.flatMap((c) => ('apiKeyId' in c ? [c.apiKeyId] : []));
      const keys = await tx.apiKey.findMany({
        where: {
          revokedAt: null,
          OR: [{ createdByUserId: { in: userIds } }, { createdByApiKeyId: { in: keyIds } }],
        },
        orderBy: { id: 'asc' },
      });
      if (keys.length === 0) break;
      await tx.apiKey.updateMany({
        where: { id: { in: keys.map((k) => k.id) }, revokedAt: null },
        data: { revokedAt: new Date() },
      });
      for (const key of keys) {
        await recordAudit(tx, actor, {
          action: 'apiKey.revoke',
          entityType: 'ApiKey',
          entityId: key.id,
          data: {
            cause: why,
            ...(key.createdByUserId ? { createdByUserId: key.createdByUserId } : {}),
            ...(key.createdByApiKeyId ? { createdByApiKeyId: key.createdByApiKeyId } : {}),
          },
        });
        revoked.push(key.id);
      }
      creators = keys.map((key) => ({ apiKeyId: key.id }));
      why = 'creator.revoked';
    }
    return revoked;
  }

  /** Forgets revoked keys in every API process and closes their sockets (after the commit). */
  async announceRevoked(apiKeyIds: readonly string[]): Promise<void> {
    for (const apiKeyId of apiKeyIds) await this.credentials.revoke({ apiKeyId });
  }
}

/**
 * A key is made only while its creator may make it: the creator's row is read under a share lock,
 * so a concurrent revocation, deletion, disabling or demotion of the creator either commits first
 * (and this creation is refused) or waits for this one, whose key its cascade then finds.
 */
async function assertCreatorLive(tx: TenantTx, actor: AuditActor): Promise<void> {
  // An operator, a rule or a worker holds no credential that could end.
  if (actor.kind !== 'apiKey' && actor.kind !== 'user') return;
  const [creator] = await tx.$queryRaw<{ role: Role }[]>(
    actor.kind === 'apiKey'
      ? Prisma.sql`SELECT "role"::text AS "role" FROM "ApiKey"
                   WHERE "tenantId" = ${actor.tenantId}::uuid AND "id" = ${actor.id}::uuid
                     AND "revokedAt" IS NULL FOR SHARE`
      : Prisma.sql`SELECT "role"::text AS "role" FROM "User"
                   WHERE "tenantId" = ${actor.tenantId}::uuid AND "id" = ${actor.id}::uuid
                     AND "disabledAt" IS NULL FOR SHARE`,
  );
  if (!creator) {
    throw actor.kind === 'apiKey'
      ? unauthenticated('Invalid or revoked API key', ErrorReason.CREDENTIAL_INVALID)
      : unauthenticated('Session expired or revoked; log in again', ErrorReason.CREDENTIAL_INVALID);
  }
  if (!roleMayCreateKeys(creator.role)) throw forbidden();
}

/** Whether a role may create API keys: its creator's keys end when the creator's role no longer may. */
export function roleMayCreateKeys(role: Role): boolean {
  return ROLE_PERMISSIONS[role].has(Permission.API_KEYS_MANAGE);
}
