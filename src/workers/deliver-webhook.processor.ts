import type { Logger } from 'pino';
import type { JobHandler } from '../jobs/job-queue';
import { deliverWebhook, WebhookAttemptFailed, type WebhookDeliveryDeps } from '../webhooks/webhook-sender';

/**
 * One attempt of one webhook delivery. A failed attempt fails the job, so BullMQ retries it with
 * backoff; after the last one the row is already DEAD and the job simply completes.
 */
export function deliverWebhookHandler(
  deps: WebhookDeliveryDeps,
  logger: Logger,
): JobHandler<'deliverWebhook'> {
  return {
    async run(payload, job) {
      const outcome = await deliverWebhook(deps, payload, job);
      if (outcome === 'failed') throw new WebhookAttemptFailed(`delivery ${payload.deliveryId} failed`);
      return outcome;
    },
    onFailed(payload, error) {
      logger.debug({ deliveryId: payload.deliveryId, err: error.message }, 'webhook attempt failed');
    },
  };
}
