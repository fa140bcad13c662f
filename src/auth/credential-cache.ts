import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { Actor } from './permissions';

/**
 * Remembers, for a few seconds, which actor a credential stands for, so a burst of requests with
 * one API key or session does not look it up in PostgreSQL every time (about 1 ms each).
 *
 * A revocation (logout, revoked key, disabled or changed user) takes effect at once: it is applied
 * to this process's cache and published on Redis to every other API process. Should a message be
 * lost, an entry still lives at most `ttlMs`.
 */
export type Revocation = { userId: string } | { apiKeyId: string } | { sessionId: string };

export const REVOCATION_CHANNEL = 'vigil:credentials:revoked';

interface Entry {
  actor: Actor;
  expiresAt: number;
}

export class CredentialCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly publisher: Redis,
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(credentialDigest: string, now = Date.now()): Actor | undefined {
    const entry = this.entries.get(credentialDigest);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(credentialDigest);
      return undefined;
    }
    return entry.actor;
  }

  /** `validUntil` caps the entry at the credential's own expiry (a session's expiresAt). */
  set(credentialDigest: string, actor: Actor, validUntil = Infinity, now = Date.now()): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(credentialDigest, { actor, expiresAt: Math.min(now + this.ttlMs, validUntil) });
  }

  /** Forgets the credentials a revocation concerns, here and (through Redis) in every API process. */
  async revoke(revocation: Revocation): Promise<void> {
    this.apply(revocation);
    await this.publisher.publish(REVOCATION_CHANNEL, JSON.stringify(revocation));
  }

  /** Applies revocations published by other processes; resolves when subscribed. */
  async listen(subscriber: Redis, logger: Logger): Promise<void> {
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== REVOCATION_CHANNEL) return;
      try {
        this.apply(JSON.parse(message) as Revocation);
      } catch (error) {
        logger.warn({ err: error }, 'ignored a malformed credential revocation');
      }
    });
    await subscriber.subscribe(REVOCATION_CHANNEL);
  }

  private apply(revocation: Revocation): void {
    const matches = (actor: Actor): boolean =>
      ('userId' in revocation && actor.kind === 'user' && actor.id === revocation.userId) ||
      ('apiKeyId' in revocation && actor.kind === 'apiKey' && actor.id === revocation.apiKeyId) ||
      ('sessionId' in revocation && actor.sessionId === revocation.sessionId);
    for (const [digest, entry] of this.entries) if (matches(entry.actor)) this.entries.delete(digest);
  }
}
