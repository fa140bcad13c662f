import type { Actor } from '../auth/permissions';
import { DomainError, ErrorCode, ErrorReason } from '../errors/domain-error';

export interface SubscriptionLimits {
  perConnection: number;
  perCredential: number;
}

/** Gives back a subscription's slot; calling it again does nothing. */
export type ReleaseSlot = () => void;

/**
 * How many GraphQL subscriptions each WebSocket and each credential (a login session or an API key)
 * hold at once in this API process. A slot is taken before any work is done for a subscribe, so a
 * burst of subscribe messages on one socket cannot all pass the check before the first is counted,
 * and given back when the subscription ends for any reason (completed, refused, socket closed).
 */
export class SubscriptionAllowance {
  private readonly perSocket = new Map<object, number>();
  private readonly perCredential = new Map<string, number>();

  constructor(private readonly limits: SubscriptionLimits) {}

  /** Takes a slot for `actor` on `socket`, or refuses with RATE_LIMITED / SUBSCRIPTION_LIMIT. */
  take(socket: object, actor: Actor): ReleaseSlot {
    const credential = credentialKey(actor);
    const onSocket = this.perSocket.get(socket) ?? 0;
    const ofCredential = this.perCredential.get(credential) ?? 0;
    if (onSocket >= this.limits.perConnection)
      throw refused(`at most ${this.limits.perConnection} subscriptions per connection`);
    if (ofCredential >= this.limits.perCredential)
      throw refused(`at most ${this.limits.perCredential} subscriptions per credential`);
    this.perSocket.set(socket, onSocket + 1);
    this.perCredential.set(credential, ofCredential + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      decrement(this.perSocket, socket);
      decrement(this.perCredential, credential);
    };
  }
}

/** A session's limit is its own; an API key's is shared by every connection that presents it. */
function credentialKey(actor: Actor): string {
  return actor.kind === 'apiKey' ? `apiKey:${actor.id}` : `session:${actor.sessionId ?? actor.id}`;
}

function decrement<K>(counts: Map<K, number>, key: K): void {
  const left = (counts.get(key) ?? 0) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}

const refused = (limit: string): DomainError =>
  new DomainError(ErrorCode.RATE_LIMITED, `Too many subscriptions: ${limit}; end one first`, {
    reason: ErrorReason.SUBSCRIPTION_LIMIT,
  });
