import { z } from 'zod';
import type { AppConfig } from '../config/config';
import { sealSecret } from '../auth/secret-box';
import type { TenantDb } from '../db/tenant-scoped-db';
import { badInput, conflict, ErrorReason, notFound } from '../errors/domain-error';
import { withPrismaErrors } from '../errors/prisma-error.mapper';
import { validateInput } from '../errors/validate-input';
import type { Prisma, WebhookDelivery, WebhookEndpoint } from '../generated/prisma/client';
import type { WebhookDeliveryStatus } from '../generated/prisma/enums';
import { redactSourceUrl } from '../media/source-url';
import type { JobQueue } from '../jobs/job-queue';
import { WEBHOOK_EVENTS } from '../webhooks/webhook-events';
import { newWebhookSecret } from '../webhooks/webhook-signature';
import { checkWebhookUrl, type LookupAll, WebhookUrlError } from '../webhooks/webhook-url';
import { type AuditActor, recordAudit } from '../audit/audit-log';
import { requireId, type Unvalidated } from './input-schemas';
import { Connection, PageArgs, paginate } from './pagination';

const MAX_ENDPOINTS_PER_TENANT = 50;

const eventsSchema = z
  .array(z.enum(WEBHOOK_EVENTS, { error: `must be one of ${WEBHOOK_EVENTS.join(', ')}` }))
  .max(WEBHOOK_EVENTS.length)
  .transform((events) => [...new Set(events)].sort());

const createSchema = z.object({
  url: z.string().max(2048),
  events: eventsSchema.default([]),
});

const updateSchema = z.object({
  url: z.string().max(2048).nullish(),
  events: eventsSchema.nullish(),
  enabled: z.boolean().nullish(),
});

const deliveryFilterSchema = z.object({
  webhookEndpointId: z.string().nullish(),
  status: z.enum(['PENDING', 'DELIVERED', 'DEAD']).nullish(),
});

export interface WebhookEndpointWithSecret {
  webhookEndpoint: WebhookEndpoint;
  /** The signing secret. Shown once: only its sealed form is stored. */
  secret: string;
}

export interface DeliveryFilter {
  webhookEndpointId?: string | null;
  status?: WebhookDeliveryStatus | null;
}

export type WebhookServiceConfig = Pick<
  AppConfig,
  'WEBHOOK_SECRET_KEY' | 'WEBHOOK_ALLOW_PRIVATE_URLS' | 'WEBHOOK_MAX_ATTEMPTS' | 'WEBHOOK_BACKOFF_MS'
>;

/**
 * Webhook endpoints and their deliveries. Endpoints are managed by admins; their URLs are checked
 * against the webhook URL policy (webhook-url.ts) when saved; their signing secrets are random,
 * shown once and stored sealed under WEBHOOK_SECRET_KEY. Deliveries are created by
 * recordWebhookEvent and sent by the webhook worker; a DEAD one can be retried here.
 */
export class WebhookService {
  constructor(
    private readonly config: WebhookServiceConfig,
    private readonly jobs: JobQueue,
    private readonly lookup?: LookupAll,
  ) {}

  listEndpoints(db: TenantDb, page: PageArgs): Promise<Connection<WebhookEndpoint>> {
    return paginate(page, (query) => db.webhookEndpoint.findMany(query));
  }

  async createEndpoint(
    db: TenantDb,
    actor: AuditActor,
    input: Unvalidated<{ url: string; events: string[] }>,
  ): Promise<WebhookEndpointWithSecret> {
    const { url: rawUrl, events } = validateInput(createSchema, input);
    const url = await this.checkUrl(rawUrl, 'input.url');
    const { secret, sealed } = this.newSecret();
    const webhookEndpoint = await db.$transaction(async (tx) => {
      if ((await tx.webhookEndpoint.count()) >= MAX_ENDPOINTS_PER_TENANT) {
        throw conflict(
          `A tenant may have at most ${MAX_ENDPOINTS_PER_TENANT} webhook endpoints`,
          ErrorReason.QUOTA,
        );
      }
      const created = await tx.webhookEndpoint.create({
        data: { tenantId: actor.tenantId, url, events, secretEncrypted: sealed },
      });
      await recordAudit(tx, actor, {
        action: 'webhookEndpoint.create',
        entityType: 'WebhookEndpoint',
        entityId: created.id,
        data: { url: redactSourceUrl(url), events },
      });
      return created;
    });
    return { webhookEndpoint, secret };
  }

  async updateEndpoint(
    db: TenantDb,
    actor: AuditActor,
    webhookEndpointId: string,
    input: Unvalidated<{ url: string | null; events: string[] | null; enabled: boolean | null }>,
  ): Promise<WebhookEndpoint> {
    const id = requireId(webhookEndpointId, 'webhookEndpointId');
    const parsed = validateInput(updateSchema, input);
    await this.requireEndpoint(db, id);
    const data: Prisma.WebhookEndpointUpdateInput = {};
    if (parsed.url != null) data.url = await this.checkUrl(parsed.url, 'input.url');
    if (parsed.events != null) data.events = parsed.events;
    if (parsed.enabled != null) data.enabled = parsed.enabled;
    return withPrismaErrors('webhook endpoint', () =>
      db.$transaction(async (tx) => {
        const updated = await tx.webhookEndpoint.update({ where: { id }, data });
        await recordAudit(tx, actor, {
          action: 'webhookEndpoint.update',
          entityType: 'WebhookEndpoint',
          entityId: id,
          data: {
            ...(data.url !== undefined ? { url: redactSourceUrl(updated.url) } : {}),
            ...(data.events !== undefined ? { events: updated.events } : {}),
            ...(data.enabled !== undefined ? { enabled: updated.enabled } : {}),
          },
        });
        return updated;
      }),
    );
  }

  async rotateSecret(
    db: TenantDb,
    actor: AuditActor,
    webhookEndpointId: string,
  ): Promise<WebhookEndpointWithSecret> {
    const id = requireId(webhookEndpointId, 'webhookEndpointId');
    await this.requireEndpoint(db, id);
    const { secret, sealed } = this.newSecret();
    const webhookEndpoint = await withPrismaErrors('webhook endpoint', () =>
      db.$transaction(async (tx) => {
        const updated = await tx.webhookEndpoint.update({ where: { id }, data: { secretEncrypted: sealed } });
        await recordAudit(tx, actor, {
          action: 'webhookEndpoint.rotateSecret',
          entityType: 'WebhookEndpoint',
          entityId: id,
        });
        return updated;
      }),
    );
    return { webhookEndpoint, secret };
  }

  async deleteEndpoint(db: TenantDb, actor: AuditActor, webhookEndpointId: string): Promise<string> {
    const id = requireId(webhookEndpointId, 'webhookEndpointId');
    return withPrismaErrors('webhook endpoint', () =>
      db.$transaction(async (tx) => {
        const deleted = await tx.webhookEndpoint.delete({ where: { id } });
        await recordAudit(tx, actor, {
          action: 'webhookEndpoint.delete',
          entityType: 'WebhookEndpoint',
          entityId: id,
          data: { url: redactSourceUrl(deleted.url) },
        });
        return id;
      }),
    );
  }

  async listDeliveries(
    db: TenantDb,
    filter: Unvalidated<DeliveryFilter>,
    page: PageArgs,
  ): Promise<Connection<WebhookDelivery>> {
    const parsed = validateInput(deliveryFilterSchema, filter, '');
    const where: Prisma.WebhookDeliveryWhereInput = {
      ...(parsed.webhookEndpointId
        ? { endpointId: requireId(parsed.webhookEndpointId, 'webhookEndpointId') }
        : {}),
      ...(parsed.status ? { status: parsed.status } : {}),
    };
    if (parsed.webhookEndpointId) await this.requireEndpoint(db, where.endpointId as string);
    return paginate(
      page,
      (query) => db.webhookDelivery.findMany({ ...query, where: { ...where, ...query.where } }),
      'desc',
    );
  }

  /** A DEAD delivery back to PENDING and queued again, with a fresh set of attempts. */
  async retryDelivery(db: TenantDb, actor: AuditActor, webhookDeliveryId: string): Promise<WebhookDelivery> {
    const id = requireId(webhookDeliveryId, 'webhookDeliveryId');
    const delivery = await db.$transaction(async (tx) => {
      const existing = await tx.webhookDelivery.findUnique({ where: { id } });
      if (!existing) throw notFound('Webhook delivery');
      const { count } = await tx.webhookDelivery.updateMany({
        where: { id, status: 'DEAD' },
        data: { status: 'PENDING', nextAttemptAt: new Date() },
      });
      if (count === 0)
        throw conflict(
          `Only a DEAD delivery can be retried; this one is ${existing.status}`,
          ErrorReason.INVALID_TRANSITION,
        );
      await recordAudit(tx, actor, {
        action: 'webhookDelivery.retry',
        entityType: 'WebhookDelivery',
        entityId: id,
        data: { endpointId: existing.endpointId, event: existing.event, attempts: existing.attempts },
      });
      return tx.webhookDelivery.findUniqueOrThrow({ where: { id } });
    });
    // A new round: the previous round's failed job may still be retained under its id.
    await this.jobs.add('deliverWebhook', {
      tenantId: delivery.tenantId,
      deliveryId: delivery.id,
      round: Date.now(),
    });
    return delivery;
  }

  private async requireEndpoint(db: TenantDb, id: string): Promise<WebhookEndpoint> {
    const endpoint = await db.webhookEndpoint.findUnique({ where: { id } });
    if (!endpoint) throw notFound('Webhook endpoint');
    return endpoint;
  }

  private async checkUrl(raw: string, field: string): Promise<string> {
    try {
      return await checkWebhookUrl(raw, {
        allowPrivate: this.config.WEBHOOK_ALLOW_PRIVATE_URLS,
        lookup: this.lookup,
      });
    } catch (error) {
      if (error instanceof WebhookUrlError) throw badInput([{ field, message: error.message }]);
      throw error;
    }
  }

  private newSecret(): { secret: string; sealed: string } {
    if (!this.config.WEBHOOK_SECRET_KEY) {
      throw conflict(
        'Webhooks are not available: the operator must set WEBHOOK_SECRET_KEY (on the API and every worker)',
        ErrorReason.NOT_CONFIGURED,
      );
    }
    const secret = newWebhookSecret();
    return { secret, sealed: sealSecret(secret, this.config.WEBHOOK_SECRET_KEY) };
  }
}
