import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import { openSecret } from '../auth/secret-box';
import type { AppConfig } from '../config/config';
import type { PrismaClient } from '../db/prisma-client';
import type { Prisma, WebhookDelivery, WebhookEndpoint } from '../generated/prisma/client';
import { tenantDb, type TenantDb } from '../db/tenant-scoped-db';
import { recordAudit, systemActor } from '../audit/audit-log';
import type { JobQueue, JobRun } from '../jobs/job-queue';
import { restoreForTenants } from '../jobs/job-reconciliation';
import type { DeliverWebhookPayload } from '../jobs/job-registry';
import { signWebhook } from './webhook-signature';
import { refusedAddress, unmapIp } from '../net/outbound-url-policy';
import { forbiddenAddressMessage, webhookAddressRules } from './webhook-url';

/**
 * Sends webhook deliveries: POST of `{id, event, createdAt, data}` with Vigil-Event, Vigil-Delivery,
 * Vigil-Timestamp and Vigil-Signature headers. 2xx: DELIVERED. Anything else (other statuses,
 * redirects, which are not followed, timeouts, refused addresses) is a failed attempt, recorded on
 * the row and retried by BullMQ with exponential backoff; after the job's last attempt the delivery
 * is DEAD until someone retries it through GraphQL. The address policy is enforced on the address
 * actually connected to (DNS rebinding). Neither the secret nor the signature is ever logged.
 */
export type WebhookDeliveryConfig = Pick<
  AppConfig,
  'WEBHOOK_SECRET_KEY' | 'WEBHOOK_ALLOW_PRIVATE_URLS' | 'WEBHOOK_TIMEOUT_MS'
>;

export interface WebhookDeliveryDeps {
  prisma: PrismaClient;
  config: WebhookDeliveryConfig;
  /** Built by createWebhookAgent; one per process. */
  agent: Agent;
  logger?: Logger;
}

export class WebhookAddressError extends Error {
  readonly code = 'EWEBHOOKADDRESS';
}

const MAX_ERROR_LENGTH = 500;

/** A DNS lookup for outgoing connections that refuses the addresses the webhook rules refuse. */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  const rules = webhookAddressRules(allowPrivate);
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      for (const entry of addresses) {
        const kind = refusedAddress(entry.address, rules);
        if (kind) return callback(new WebhookAddressError(forbiddenAddressMessage(kind)), '', 0);
      }
      if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(new Error(`${hostname} does not resolve`), '', 0);
      return callback(null, first.address, first.family);
    });
  };
}

export function createWebhookAgent(config: WebhookDeliveryConfig): Agent {
  return new Agent({
    connect: { lookup: guardedLookup(config.WEBHOOK_ALLOW_PRIVATE_URLS), timeout: config.WEBHOOK_TIMEOUT_MS },
    headersTimeout: config.WEBHOOK_TIMEOUT_MS,
    bodyTimeout: config.WEBHOOK_TIMEOUT_MS,
    keepAliveTimeout: 4_000,
  });
}

export type DeliveryOutcome = 'delivered' | 'failed' | 'dead' | 'skipped';

interface AttemptResult {
  ok: boolean;
  status: number | null;
  error: string | null;
}

async function send(
  deps: WebhookDeliveryDeps,
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<AttemptResult> {
  const target = new URL(url);
  // An IP literal is connected to without a lookup, so the guarded lookup never sees it.
  const host = unmapIp(target.hostname);
  if (isIP(host)) {
    const kind = refusedAddress(host, webhookAddressRules(deps.config.WEBHOOK_ALLOW_PRIVATE_URLS));
    if (kind) return { ok: false, status: null, error: `URL ${forbiddenAddressMessage(kind)}` };
  }
  const timeoutMs = deps.config.WEBHOOK_TIMEOUT_MS;
  try {
    const response = await request(url, {
      method: 'POST',
      dispatcher: deps.agent,
      headers,
      body,
      signal: AbortSignal.timeout(timeoutMs),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    const ok = response.statusCode >= 200 && response.statusCode < 300;
    const redirect = response.statusCode >= 300 && response.statusCode < 400;
    return {
      ok,
      status: response.statusCode,
      error: ok ? null : `HTTP ${response.statusCode}${redirect ? ' (redirects are not followed)' : ''}`,
    };
  } catch (error) {
    return { ok: false, status: null, error: describeError(error, timeoutMs) };
  }
}

function describeError(error: unknown, timeoutMs: number): string {
  const err = error as { name?: string; code?: string; message?: string; cause?: unknown };
  if (err.name === 'TimeoutError' || err.name === 'AbortError' || /Timeout/.test(err.code ?? '')) {
    return `timed out after ${timeoutMs} ms`;
  }
  if (err.cause instanceof WebhookAddressError) return `URL ${err.cause.message}`;
  if (error instanceof WebhookAddressError) return `URL ${error.message}`;
  const cause = err.cause as { code?: string; message?: string } | undefined;
  const text = [err.code, err.message, cause?.code, cause?.message].filter(Boolean).join(': ');
  return (text || 'request failed').slice(0, MAX_ERROR_LENGTH);
}

type DeliveryWithEndpoint = WebhookDelivery & { endpoint: WebhookEndpoint };

async function attemptDelivery(
  deps: WebhookDeliveryDeps,
  delivery: DeliveryWithEndpoint,
  now: Date,
): Promise<AttemptResult> {
  let secret: string;
  try {
    secret = openSecret(delivery.endpoint.secretEncrypted, deps.config.WEBHOOK_SECRET_KEY);
  } catch {
    return {
      ok: false,
      status: null,
      error: 'the signing secret cannot be opened (WEBHOOK_SECRET_KEY changed?)',
    };
  }
  const body = JSON.stringify({
    id: delivery.id,
    event: delivery.event,
    createdAt: delivery.createdAt.toISOString(),
    data: delivery.payload,
  });
  const timestamp = Math.floor(now.getTime() / 1000);
  return send(
    deps,
    delivery.endpoint.url,
    {
      'content-type': 'application/json',
      'user-agent': 'Vigil-Webhooks/1',
      'vigil-event': delivery.event,
      'vigil-delivery': delivery.id,
      'vigil-timestamp': String(timestamp),
      'vigil-signature': signWebhook(secret, timestamp, body),
    },
    body,
  );
}

/** One attempt of one delivery: what a job of the webhook queue does. */
export async function deliverWebhook(
  deps: WebhookDeliveryDeps,
  payload: DeliverWebhookPayload,
  job: JobRun,
): Promise<DeliveryOutcome> {
  const { tenantId, deliveryId } = payload;
  const db = tenantDb(deps.prisma, tenantId);
  const delivery = await db.webhookDelivery.findUnique({
    where: { id: deliveryId },
    include: { endpoint: true },
  });
  // Gone with its endpoint, delivered already, or dead (a stale job of an earlier round).
  if (!delivery || delivery.status !== 'PENDING') return 'skipped';
  const now = new Date();
  if (!delivery.endpoint.enabled) {
    await deadLetter(db, delivery, { lastError: 'the endpoint is disabled', nextAttemptAt: null });
    return 'dead';
  }

  const attempt = await attemptDelivery(deps, delivery, now);
  if (attempt.ok) {
    await db.webhookDelivery.update({
      where: { id: deliveryId },
      data: {
        status: 'DELIVERED',
        attempts: { increment: 1 },
        lastStatus: attempt.status,
        lastError: null,
        nextAttemptAt: null,
        deliveredAt: new Date(),
      },
    });
    return 'delivered';
  }
  const last = job.attemptsMade + 1 >= job.attempts;
  const baseDelay = job.backoffMs;
  const failed = {
    attempts: { increment: 1 },
    lastStatus: attempt.status,
    lastError: attempt.error?.slice(0, MAX_ERROR_LENGTH) ?? null,
  };
  if (last) {
    await deadLetter(db, delivery, { ...failed, nextAttemptAt: null });
  } else {
    await db.webhookDelivery.update({
      where: { id: deliveryId },
      data: {
        ...failed,
        status: 'PENDING',
        nextAttemptAt: new Date(Date.now() + baseDelay * 2 ** job.attemptsMade),
      },
    });
  }
  deps.logger?.warn(
    { deliveryId, tenantId, event: delivery.event, status: attempt.status, error: attempt.error, dead: last },
    'webhook delivery attempt failed',
  );
  return last ? 'dead' : 'failed';
}

/**
 * A delivery gives up (DEAD until someone retries it), audited as the webhook worker's in the same
 * transaction: an auditor sees which partner never heard of which event.
 */
async function deadLetter(
  db: TenantDb,
  delivery: WebhookDelivery & { endpoint: WebhookEndpoint },
  data: Prisma.WebhookDeliveryUpdateInput,
): Promise<void> {
  await db.$transaction(async (tx) => {
    const updated = await tx.webhookDelivery.update({
      where: { id: delivery.id },
      data: { ...data, status: 'DEAD' },
    });
    await recordAudit(tx, systemActor(delivery.tenantId, 'deliver-webhook'), {
      action: 'webhookDelivery.deadLettered',
      entityType: 'WebhookDelivery',
      entityId: delivery.id,
      data: {
        event: delivery.event,
        eventKey: delivery.eventKey,
        endpointId: delivery.endpointId,
        attempts: updated.attempts,
        lastStatus: updated.lastStatus,
        lastError: updated.lastError,
      },
    });
  });
}

export class WebhookAttemptFailed extends Error {}

/**
 * Queues again every PENDING delivery whose job Redis has lost (PostgreSQL is the truth); answers
 * how many. A delivery's first-round job id is deterministic and its retries reuse that job, so a
 * delivery whose job is waiting, retrying or finished is left alone. (A delivery retried by hand
 * runs under a new id; should Redis keep neither that job nor the first round's, the delivery is
 * attempted once more: partners tell repeats apart by the event key.)
 */
export async function restoreLostWebhookDeliveries(prisma: PrismaClient, jobs: JobQueue): Promise<number> {
  const tenants = await prisma.webhookDelivery.groupBy({ by: ['tenantId'], where: { status: 'PENDING' } });
  return restoreForTenants(
    prisma,
    tenants.map((tenant) => tenant.tenantId),
    (db, { after, ...page }) =>
      db.webhookDelivery.findMany({ where: { status: 'PENDING', ...after }, ...page, select: { id: true } }),
    (tenantId, { id: deliveryId }) => jobs.restore('deliverWebhook', { tenantId, deliveryId }),
  );
}
