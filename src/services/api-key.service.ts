import { z } from 'zod';
import { API_KEY_SCOPES, type Actor } from '../auth/permissions';
import { newApiKey } from '../auth/secret-token';
import type { TenantDb } from '../db/tenant-scoped-db';
import { conflict, ErrorReason, notFound } from '../errors/domain-error';
import { validateInput } from '../errors/validate-input';
import type { ApiKey } from '../generated/prisma/client';
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
    const apiKey = await db.$transaction(async (tx) => {
      const created = await tx.apiKey.create({
        data: { tenantId: actor.tenantId, name, role, scopes, prefix, secretHash },
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
    const revoked = await db.$transaction(async (tx) => {
      const existing = await tx.apiKey.findUnique({ where: { id } });
      if (!existing) throw notFound('API key');
      if (existing.revokedAt) throw conflict('This API key is already revoked', ErrorReason.ALREADY_REVOKED);
      const updated = await tx.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
      await recordAudit(tx, actor, { action: 'apiKey.revoke', entityType: 'ApiKey', entityId: id });
      return updated;
    });
    await this.credentials.revoke({ apiKeyId: id });
    return revoked;
  }
}
