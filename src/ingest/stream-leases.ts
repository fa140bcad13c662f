import type Redis from 'ioredis';

/**
 * Ownership of a stream by one worker process, as a lease in Redis: a key holding the owner's id
 * with an expiry, renewed by heartbeats. Whoever holds the key samples the stream; when a worker
 * dies its leases expire and another worker takes them. Compare-and-set scripts make sure a worker
 * only renews or releases a lease it still holds.
 */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export const leaseKey = (streamId: string): string => `vigil:stream-lease:${streamId}`;

export class StreamLeases {
  constructor(
    private readonly redis: Redis,
    readonly ownerId: string,
    readonly leaseMs: number,
  ) {}

  async acquire(streamId: string): Promise<boolean> {
    return (await this.redis.set(leaseKey(streamId), this.ownerId, 'PX', this.leaseMs, 'NX')) === 'OK';
  }

  async renew(streamId: string): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, leaseKey(streamId), this.ownerId, String(this.leaseMs))) === 1;
  }

  async release(streamId: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, leaseKey(streamId), this.ownerId);
  }

  owner(streamId: string): Promise<string | null> {
    return this.redis.get(leaseKey(streamId));
  }
}
