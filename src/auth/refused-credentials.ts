/**
 * Remembers, for a moment, the digests of credentials that were just refused (unknown, revoked,
 * expired), so a client that keeps sending one does not cost a PostgreSQL look-up every time.
 *
 * Nothing valid can hide behind an entry: a session token or API key is 256 random bits, so a
 * credential unknown now becomes valid only if someone creates exactly those bits, and one that was
 * revoked or has expired never becomes valid again. The entry is the digest of the whole credential,
 * so a key's public prefix with a wrong secret does not shadow the real key. Kept per process,
 * bounded: past `maxEntries` the oldest entry goes first.
 */
export class RefusedCredentials {
  private readonly entries = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  has(credentialDigest: string, now = Date.now()): boolean {
    const expiresAt = this.entries.get(credentialDigest);
    if (expiresAt === undefined) return false;
    if (expiresAt > now) return true;
    this.entries.delete(credentialDigest);
    return false;
  }

  add(credentialDigest: string, now = Date.now()): void {
    if (this.ttlMs <= 0) return;
    // Re-inserting moves the entry to the end of the map's order, which is the order of eviction.
    this.entries.delete(credentialDigest);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(credentialDigest, now + this.ttlMs);
  }

  get size(): number {
    return this.entries.size;
  }
}
