import type Redis from 'ioredis';
import { CredentialCache, REVOCATION_CHANNEL } from './credential-cache';
import type { Actor } from './permissions';

const user: Actor = {
  kind: 'user',
  id: 'u1',
  tenantId: 't1',
  role: 'ADMIN',
  isPlatformAdmin: false,
  sessionId: 's1',
};
const otherSession: Actor = { ...user, sessionId: 's2' };
const key: Actor = { kind: 'apiKey', id: 'k1', tenantId: 't1', role: 'AUDITOR', isPlatformAdmin: false };

function fakePublisher() {
  const published: [string, string][] = [];
  const publisher = {
    publish: async (channel: string, message: string) => {
      published.push([channel, message]);
      return 1;
    },
  } as unknown as Redis;
  return { publisher, published };
}

describe('CredentialCache', () => {
  it('remembers an actor until its TTL or the credential’s own expiry, whichever comes first', () => {
    const cache = new CredentialCache(fakePublisher().publisher, 5_000);
    cache.set('a', user, Infinity, 1_000);
    cache.set('b', key, 3_000, 1_000);
    expect(cache.get('a', 5_999)).toBe(user);
    expect(cache.get('a', 6_000)).toBeUndefined();
    expect(cache.get('b', 2_999)).toBe(key);
    expect(cache.get('b', 3_000)).toBeUndefined();
  });

  it('remembers nothing with a TTL of 0', () => {
    const cache = new CredentialCache(fakePublisher().publisher, 0);
    cache.set('a', user);
    expect(cache.get('a')).toBeUndefined();
  });

  it('forgets exactly what a revocation names, and publishes it for the other processes', async () => {
    const { publisher, published } = fakePublisher();
    const cache = new CredentialCache(publisher, 60_000);
    cache.set('session-1', user);
    cache.set('session-2', otherSession);
    cache.set('key', key);

    await cache.revoke({ sessionId: 's1' });
    expect([cache.get('session-1'), cache.get('session-2'), cache.get('key')]).toEqual([
      undefined,
      otherSession,
      key,
    ]);

    await cache.revoke({ apiKeyId: 'k1' });
    expect(cache.get('key')).toBeUndefined();

    await cache.revoke({ userId: 'u1' });
    expect(cache.get('session-2')).toBeUndefined();
    expect(published).toEqual([
      [REVOCATION_CHANNEL, '{"sessionId":"s1"}'],
      [REVOCATION_CHANNEL, '{"apiKeyId":"k1"}'],
      [REVOCATION_CHANNEL, '{"userId":"u1"}'],
    ]);
  });

  it('stays bounded', () => {
    const cache = new CredentialCache(fakePublisher().publisher, 60_000, 3);
    for (const digest of ['a', 'b', 'c', 'd']) cache.set(digest, user);
    expect(cache.get('d')).toBe(user);
    expect(cache.get('a')).toBeUndefined();
  });
});
