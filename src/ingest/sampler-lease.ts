/**
 * What a stream's sampler knows of its worker's lease on the stream: the fence the lease was taken
 * under (PostgreSQL refuses frames and windows written under an older one) and until when the lease
 * is surely still held, as of its last renewal. A sampler cut off from Redis stops writing once
 * that moment passes, before another worker can take the stream.
 */
export class SamplerLease {
  constructor(
    /** Stream.samplerFence as raised when this lease was taken. */
    readonly fence: number,
    private validUntil: number,
  ) {}

  /** Called after a renewal that Redis confirmed: `until` is when it surely still holds. */
  extend(until: number): void {
    this.validUntil = Math.max(this.validUntil, until);
  }

  held(now = Date.now()): boolean {
    return now < this.validUntil;
  }
}

/** The sampler may no longer write: its lease ran out, or another worker took the stream. */
export class LeaseLostError extends Error {
  constructor(reason: string) {
    super(`stream lease lost: ${reason}`);
    this.name = 'LeaseLostError';
  }
}

/**
 * When a lease renewed at `sentAt` (the moment the renewal was sent, before Redis reset the expiry)
 * surely still holds: Redis expires it `leaseMs` after it received the renewal, which is later;
 * the margin covers clocks that drift and a write already under way.
 */
export function leaseValidUntil(sentAt: number, leaseMs: number): number {
  return sentAt + leaseMs - Math.min(2_000, leaseMs / 4);
}

/** Whether a database error is the sampler-fence trigger's refusal. */
export function isFencedOut(error: unknown): boolean {
  return error instanceof Error && error.message.includes('sampler fenced out');
}
