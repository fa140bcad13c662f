import { jobOptionsFor } from '../jobs/bullmq-job-queue';
import { isSendableEventName, isWebhookEvent, WEBHOOK_EVENTS } from './webhook-events';

describe('webhook event names', () => {
  it('has the documented fixed list for endpoint filters', () => {
    expect(WEBHOOK_EVENTS).toEqual([
      'rule.fired',
      'incident.opened',
      'incident.closed',
      'review.resolved',
      'stream.stopped',
      'alert.raised',
    ]);
    expect(isWebhookEvent('stream.stopped')).toBe(true);
    expect(isWebhookEvent('lawn.intrusion')).toBe(false);
  });

  it('sends other printable names (rules may name their own) but never header-breaking ones', () => {
    expect(isSendableEventName('lawn.intrusion')).toBe(true);
    expect(isSendableEventName('Intrusion at gate 3')).toBe(true);
    for (const bad of ['', ' padded', 'line\nbreak', 'cr\rlf', 'tab\there', 'é', 'x'.repeat(101)]) {
      expect(isSendableEventName(bad)).toBe(false);
    }
  });

  it('makes deterministic job ids per delivery and round, with exponential backoff', () => {
    const settings = { WEBHOOK_MAX_ATTEMPTS: 6, WEBHOOK_BACKOFF_MS: 10_000 };
    const delivery = { tenantId: 't1', deliveryId: 'd1' };
    expect(jobOptionsFor('deliverWebhook', delivery, settings)).toMatchObject({
      jobId: 'webhook-d1',
      attempts: 6,
      backoff: { type: 'exponential', delay: 10_000 },
    });
    expect(jobOptionsFor('deliverWebhook', { ...delivery, round: 7 }, settings).jobId).toBe('webhook-d1-r7');
  });
});
