import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';

/** A held lock: released once the verification has ended. */
export interface HeldVerificationLock {
  release(): Promise<void>;
}

const LEASE_MS = 60_000;
const RENEW_EVERY_MS = 20_000;

// Deletes or extends the key only while it still holds this holder's token, so a lock that expired
// and was taken by another process is never released or extended by the first.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/**
 * At most one verification of a tenant's audit chain runs at once, across every API and worker
 * process: a lease in Redis, renewed while the walk goes on, so a crashed holder frees it within a
 * minute. The API refuses an inline verification it cannot take (VERIFICATION_RUNNING); a worker
 * waits and runs its job later.
 */
export class AuditVerificationLock {
  constructor(
    private readonly redis: Redis,
    private readonly leaseMs = LEASE_MS,
  ) {}

  /** The lock, or null when another verification of the tenant holds it. */
  async tryAcquire(tenantId: string): Promise<HeldVerificationLock | null> {
    const key = `vigil:audit-verification:${tenantId}`;
    const token = randomUUID();
    const taken = await this.redis.set(key, token, 'PX', this.leaseMs, 'NX');
    if (taken !== 'OK') return null;
    const renew = setInterval(
      () => void this.redis.eval(RENEW, 1, key, token, String(this.leaseMs)).catch(() => undefined),
      Math.min(RENEW_EVERY_MS, this.leaseMs / 3),
    );
    renew.unref();
    return {
      release: async () => {
        clearInterval(renew);
        await this.redis.eval(RELEASE, 1, key, token);
      },
    };
  }
}
