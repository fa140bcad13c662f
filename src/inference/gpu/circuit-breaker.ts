export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * One node's circuit breaker. Closed: requests pass. After `failureThreshold` consecutive
 * failures it opens: nothing passes for `openMs`. Then it is half-open: exactly one request (the
 * probe) passes; its success closes the breaker, its failure opens it again.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probeInFlight = false;
  private current: BreakerState = 'closed';

  constructor(
    private readonly failureThreshold: number,
    private readonly openMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.openMs) {
      this.current = 'half-open';
      this.probeInFlight = false;
    }
    return this.current;
  }

  /** Whether a request may go to the node now (without taking the half-open probe). */
  get available(): boolean {
    const state = this.state;
    return state === 'closed' || (state === 'half-open' && !this.probeInFlight);
  }

  /** Call when a request is sent; in half-open state it becomes the probe. */
  onSend(): void {
    if (this.state === 'half-open') this.probeInFlight = true;
  }

  onSuccess(): void {
    this.failures = 0;
    this.probeInFlight = false;
    this.current = 'closed';
  }

  onFailure(): void {
    this.failures += 1;
    this.probeInFlight = false;
    if (this.current === 'half-open' || this.failures >= this.failureThreshold) {
      this.current = 'open';
      this.openedAt = this.now();
    }
  }

  /** A request that ended without saying anything about the node (the caller gave up). */
  onNeutral(): void {
    this.probeInFlight = false;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }
}
