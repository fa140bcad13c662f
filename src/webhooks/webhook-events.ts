import type { JobsOptions } from 'bullmq';
import type { Prisma } from '../generated/prisma/client';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';
import { type DeliverWebhookPayload, WEBHOOK_JOBS, webhookJobId } from '../jobs/job-registry';

/**
 * The event names a webhook endpoint can subscribe to (an endpoint with no events gets all of them).
 * Adding a name here is all it takes; removing one breaks partners' filters, so don't.
 */
export const WEBHOOK_EVENTS = [
  'rule.fired',
  'incident.opened',
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

/** What recordWebhookEvent needs of a BullMQ queue (a `Queue<DeliverWebhookPayload>` fits). */
export interface WebhookQueueLike {
  add(name: string, data: DeliverWebhookPayload, opts?: JobsOptions): Promise<unknown>;
}

export interface WebhookRetryPolicy {
  /** BullMQ attempts per delivery round; the delivery is DEAD after the last one. */
  attempts: number;
  /** First backoff delay; BullMQ doubles it on every further attempt. */
  backoffMs: number;
}

export const DEFAULT_WEBHOOK_RETRY: WebhookRetryPolicy = { attempts: 6, backoffMs: 10_000 };

/** Job options of one delivery round; every producer of webhook jobs uses them. */
export function webhookJobOptions(deliveryId: string, policy: WebhookRetryPolicy, round = 0): JobsOptions {
  return {
    jobId: webhookJobId(deliveryId, round),
    attempts: policy.attempts,
    backoff: { type: 'exponential', delay: policy.backoffMs },
    removeOnComplete: { count: 1_000, age: 24 * 3600 },
    removeOnFail: { count: 5_000, age: 7 * 24 * 3600 },
  };
}

let defaultQueue: WebhookQueueLike | undefined;
let defaultPolicy: WebhookRetryPolicy = DEFAULT_WEBHOOK_RETRY;

/**
 * Sets the queue (and retry policy) the 5-argument form of recordWebhookEvent uses. The API and the
 * worker call it once at start-up (startApi / startWorker); tests may pass a queue explicitly instead.
 * `undefined` clears it (deliveries are then recorded but not queued until something re-queues them).
 */
export function setWebhookQueue(
  queue: WebhookQueueLike | undefined,
  policy?: Partial<WebhookRetryPolicy>,
): void {
  defaultQueue = queue;
  defaultPolicy = { ...DEFAULT_WEBHOOK_RETRY, ...policy };
}

export function webhookRetryPolicy(): WebhookRetryPolicy {
  return defaultPolicy;
}

export interface RecordWebhookEventOptions {
  /** Overrides the queue set by setWebhookQueue. */
  queue?: WebhookQueueLike;
  policy?: WebhookRetryPolicy;
}

/**
 * Records one event occurrence for every enabled endpoint of the tenant that subscribes to it
 * (events empty or containing `event`) and queues a delivery job for each new delivery. Idempotent:
 * a second call with the same eventKey creates nothing (unique (tenantId, endpointId, eventKey)).
 * PostgreSQL first, Redis second (principle 1). Returns how many deliveries were created.
 *
 * `eventKey` identifies the occurrence, e.g. `stream.stopped:<reviewItemId>`; `payload` becomes the
 * `data` of the body sent to the partner, so it must hold nothing the partner may not see.
 */
export async function recordWebhookEvent(
  prisma: PrismaClient,
  tenantId: string,
  event: string,
  eventKey: string,
  payload: object,
  options: RecordWebhookEventOptions = {},
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
  const queue = options.queue ?? defaultQueue;
  const policy = options.policy ?? defaultPolicy;
  if (queue) {
    for (const delivery of created) {
      await queue.add(
        WEBHOOK_JOBS.deliver,
        { tenantId, deliveryId: delivery.id },
        webhookJobOptions(delivery.id, policy),
      );
    }
  }
  return created.length;
}
