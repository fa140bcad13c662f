import { CircuitBreaker } from './circuit-breaker';

describe('CircuitBreaker', () => {
  let now = 0;
  const breaker = (): CircuitBreaker => new CircuitBreaker(3, 1_000, () => now);
  beforeEach(() => {
    now = 0;
  });

  it('stays closed below the threshold, and a success resets the count', () => {
    const b = breaker();
    b.onFailure();
    b.onFailure();
    expect(b.state).toBe('closed');
    b.onSuccess();
    b.onFailure();
    b.onFailure();
    expect(b.state).toBe('closed');
    expect(b.consecutiveFailures).toBe(2);
  });

  it('opens after consecutive failures and lets nothing through while open', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) b.onFailure();
    expect(b.state).toBe('open');
    expect(b.available).toBe(false);
    now = 999;
    expect(b.available).toBe(false);
  });

  it('lets exactly one probe through when half-open; its success closes the breaker', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) b.onFailure();
    now = 1_000;
    expect(b.state).toBe('half-open');
    expect(b.available).toBe(true);
    b.onSend();
    expect(b.available).toBe(false);
    b.onSuccess();
    expect(b.state).toBe('closed');
    expect(b.available).toBe(true);
  });

  it('opens again at once when the probe fails', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) b.onFailure();
    now = 1_500;
    b.onSend();
    b.onFailure();
    expect(b.state).toBe('open');
    now = 2_400;
    expect(b.state).toBe('open');
    now = 2_500;
    expect(b.state).toBe('half-open');
  });

  it('a neutral end frees the probe slot without deciding', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) b.onFailure();
    now = 1_000;
    b.onSend();
    b.onNeutral();
    expect(b.state).toBe('half-open');
    expect(b.available).toBe(true);
  });
});
