import { createHmac } from 'node:crypto';
import { newWebhookSecret, signWebhook, verifyWebhook } from './webhook-signature';

describe('webhook signatures', () => {
  const secret = 'whsec_test-secret';
  const body = '{"id":"d1","event":"stream.stopped","createdAt":"2026-11-21T00:00:00.000Z","data":{}}';
  const timestamp = 1_790_000_000;

  it('signs HMAC-SHA256 over "<timestamp>.<body>" as v1=<hex>', () => {
    const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
    expect(signWebhook(secret, timestamp, body)).toBe(`v1=${expected}`);
  });

  it('verifies its own signature within the tolerance window', () => {
    const signature = signWebhook(secret, timestamp, body);
    expect(
      verifyWebhook({ secret, body, timestamp: String(timestamp), signature, now: timestamp + 299 }),
    ).toEqual({
      ok: true,
    });
  });

  it('refuses an old or future timestamp (replay)', () => {
    const signature = signWebhook(secret, timestamp, body);
    for (const now of [timestamp + 301, timestamp - 301]) {
      expect(verifyWebhook({ secret, body, timestamp: String(timestamp), signature, now })).toEqual({
        ok: false,
        reason: 'expired',
      });
    }
    expect(
      verifyWebhook({
        secret,
        body,
        timestamp: String(timestamp),
        signature,
        now: timestamp + 20,
        toleranceSeconds: 10,
      }),
    ).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a changed body, timestamp or secret', () => {
    const signature = signWebhook(secret, timestamp, body);
    const now = timestamp;
    expect(verifyWebhook({ secret, body: body + ' ', timestamp: String(timestamp), signature, now }).ok).toBe(
      false,
    );
    expect(verifyWebhook({ secret, body, timestamp: String(timestamp + 1), signature, now }).ok).toBe(false);
    expect(
      verifyWebhook({ secret: 'whsec_other', body, timestamp: String(timestamp), signature, now }),
    ).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('accepts any of several v1 signatures (secret rotation) and ignores other versions', () => {
    const good = signWebhook(secret, timestamp, body);
    const other = signWebhook('whsec_old', timestamp, body);
    const header = `v0=abc, ${other}, ${good}`;
    expect(
      verifyWebhook({ secret, body, timestamp: String(timestamp), signature: header, now: timestamp }).ok,
    ).toBe(true);
  });

  it('calls malformed headers malformed, without throwing', () => {
    const cases: [string | undefined, string | undefined][] = [
      [undefined, signWebhook(secret, timestamp, body)],
      ['yesterday', signWebhook(secret, timestamp, body)],
      [String(timestamp), undefined],
      [String(timestamp), 'sha256=abc'],
    ];
    for (const [ts, signature] of cases) {
      expect(verifyWebhook({ secret, body, timestamp: ts, signature, now: timestamp })).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
    expect(
      verifyWebhook({ secret, body, timestamp: String(timestamp), signature: 'v1=zz', now: timestamp }),
    ).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('makes 32-byte random secrets', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.slice(6), 'base64url')).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(a);
  });
});
