import type { Prisma } from '../generated/prisma/client';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';
import type { JobQueue } from '../jobs/job-queue';

/**
 * The event names a webhook endpoint can subscribe to (an endpoint with no events gets all of them).
 * Adding a name here is all it takes; removing one breaks partners' filters, so don't.
 */
export const WEBHOOK_EVENTS = [
  'rule.fired',
  'incident.opened',
  'incident.closed',
  'review.resolved',
  'stream.stopped',
  'alert.raised',
] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

export function isWebhookEvent(name: string): name is WebhookEventName {
  return (WEBHOOK_EVENTS as readonly string[]).includes(name);
}

/**
 * What recordWebhookEvent accepts: the names above, and other names a rule's webhook action may
 * carry (1-100 printable characters: it becomes the Vigil-Event header). Endpoint filters only take
 * the names above, so an event outside them reaches only endpoints that receive every event.
 */
export function isSendableEventName(name: string): boolean {
  return isWebhookEvent(name) || /^[\x21-\x7e](?:[\x20-\x7e]{0,98}[\x21-\x7e])?$/.test(name);
}

/**
 * Records one event occurrence for every enabled endpoint of the tenant that subscribes to it
 * (events empty or containing `event`) and queues a delivery job for each new delivery. Idempotent:
 * a second call with the same eventKey creates nothing (unique (tenantId, endpointId, eventKey)).
 * PostgreSQL first, Redis second: a delivery whose job Redis lost is queued again by the worker's
 * reconciler. Returns how many deliveries were created.
 *
 * `eventKey` identifies the occurrence, e.g. `stream.stopped:<reviewItemId>`; `payload` becomes the
 * `data` of the body sent to the partner, so it must hold nothing the partner may not see.
 */
export async function recordWebhookEvent(
  prisma: PrismaClient,
  jobs: JobQueue,
  tenantId: string,
  event: string,
  eventKey: string,
  payload: object,
): Promise<number> {
  if (!isSendableEventName(event)) throw new Error(`invalid webhook event name ${JSON.stringify(event)}`);
  const db = tenantDb(prisma, tenantId);
  const endpoints = await db.webhookEndpoint.findMany({
    where: { enabled: true, OR: [{ events: { isEmpty: true } }, { events: { has: event } }] },
    select: { id: true },
  });
  if (endpoints.length === 0) return 0;
  const created = await db.webhookDelivery.createManyAndReturn({
    data: endpoints.map((endpoint) => ({
      tenantId,
      endpointId: endpoint.id,
      event,
      eventKey,
      payload: payload as Prisma.InputJsonValue,
    })),
    skipDuplicates: true,
    select: { id: true },
  });
  for (const delivery of created) await jobs.add('deliverWebhook', { tenantId, deliveryId: delivery.id });
  return created.length;
}

/** Sends a partner a webhook event: recordWebhookEvent bound to the process's database and queues. */
export type WebhookEventSink = (
  tenantId: string,
  event: string,
  eventKey: string,
  payload: object,
) => Promise<number>;

export function webhookEventSink(prisma: PrismaClient, jobs: JobQueue): WebhookEventSink {
  return (tenantId, event, eventKey, payload) =>
    recordWebhookEvent(prisma, jobs, tenantId, event, eventKey, payload);
}
