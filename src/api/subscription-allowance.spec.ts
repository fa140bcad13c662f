import type { Actor } from '../auth/permissions';
import { DomainError } from '../errors/domain-error';
import { SubscriptionAllowance } from './subscription-allowance';

const session = (sessionId: string): Actor =>
  ({ kind: 'user', id: 'u1', tenantId: 't1', role: 'MODERATOR', sessionId }) as Actor;
const apiKey = (id: string): Actor => ({ kind: 'apiKey', id, tenantId: 't1', role: 'MODERATOR' }) as Actor;

const refusal = (take: () => unknown): unknown => {
  try {
    take();
  } catch (error) {
    return error instanceof DomainError
      ? { code: error.code, reason: error.reason, message: error.message }
      : error;
  }
  return 'admitted';
};

describe('SubscriptionAllowance', () => {
  it('refuses the subscription past the per-connection limit and admits it again once one is released', () => {
    const allowance = new SubscriptionAllowance({ perConnection: 2, perCredential: 10 });
    const socket = {};
    const first = allowance.take(socket, session('s1'));
    allowance.take(socket, session('s1'));
    expect(refusal(() => allowance.take(socket, session('s1')))).toEqual({
      code: 'RATE_LIMITED',
      reason: 'SUBSCRIPTION_LIMIT',
      message: 'Too many subscriptions: at most 2 subscriptions per connection; end one first',
    });
    // Another socket of the same session has its own connection budget.
    expect(refusal(() => allowance.take({}, session('s1')))).toBe('admitted');
    first();
    first();
    expect(refusal(() => allowance.take(socket, session('s1')))).toBe('admitted');
    expect(refusal(() => allowance.take(socket, session('s1')))).not.toBe('admitted');
  });

  it('shares the per-credential limit across connections, one budget per session or API key', () => {
    const allowance = new SubscriptionAllowance({ perConnection: 10, perCredential: 3 });
    for (let n = 0; n < 3; n++) allowance.take({}, apiKey('k1'));
    expect(refusal(() => allowance.take({}, apiKey('k1')))).toMatchObject({
      message: 'Too many subscriptions: at most 3 subscriptions per credential; end one first',
    });
    expect(refusal(() => allowance.take({}, apiKey('k2')))).toBe('admitted');
    expect(refusal(() => allowance.take({}, session('k1')))).toBe('admitted');
  });
});
