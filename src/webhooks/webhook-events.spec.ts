import { isSendableEventName, isWebhookEvent, WEBHOOK_EVENTS, webhookJobOptions } from './webhook-events';

describe('webhook event names', () => {
  it('has the documented fixed list for endpoint filters', () => {
    expect(WEBHOOK_EVENTS).toEqual([
      'rule.fired',
      'incident.opened',
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
    expect(webhookJobOptions('d1', { attempts: 6, backoffMs: 10_000 })).toMatchObject({
      jobId: 'webhook-d1',
      attempts: 6,
      backoff: { type: 'exponential', delay: 10_000 },
    });
    expect(webhookJobOptions('d1', { attempts: 6, backoffMs: 10_000 }, 7).jobId).toBe('webhook-d1-r7');
  });
});
