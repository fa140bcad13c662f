import type Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { AppConfig } from '../config/config';
import { clientBucket } from '../auth/client-address';
import { ErrorReason, rateLimited } from '../errors/domain-error';

/** The most addresses an account remembers (the most recent); older ones are forgotten first. */
const KNOWN_ADDRESSES_PER_ACCOUNT = 50;

/** One login attempt's hold on the budgets: `succeeded` gives back what it took. */
export interface LoginAttempt {
  succeeded(): Promise<void>;
}

/**
 * Request budgets kept in Redis, so every API process shares them. Exceeding one gives
 * RATE_LIMITED with the number of seconds to wait.
 */
export class RateLimitService {
  private readonly perApiKey: RateLimiterRedis;
  private readonly perSession: RateLimiterRedis;
  private readonly loginPerAccount: RateLimiterRedis;
  private readonly loginPerClient: RateLimiterRedis;
  private readonly unverifiedPerClient: RateLimiterRedis;
  private readonly knownAddressMs: number;

  constructor(
    private readonly redis: Redis,
    config: AppConfig,
  ) {
    const limiter = (keyPrefix: string, points: number) =>
      new RateLimiterRedis({ storeClient: redis, keyPrefix: `vigil:rl:${keyPrefix}`, points, duration: 60 });
    this.perApiKey = limiter('api-key', config.RATE_LIMIT_API_KEY_PER_MINUTE);
    this.perSession = limiter('session', config.RATE_LIMIT_SESSION_PER_MINUTE);
    this.loginPerAccount = limiter('login-account', config.RATE_LIMIT_LOGIN_PER_MINUTE);
    this.loginPerClient = limiter('login-client', config.RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE);
    this.unverifiedPerClient = limiter('unverified-client', config.RATE_LIMIT_ANONYMOUS_PER_MINUTE);
    this.knownAddressMs = config.LOGIN_KNOWN_ADDRESS_DAYS * 86_400_000;
  }

  /**
   * Counts one request without a verified credential against its client address: an anonymous
   * request, or a credential about to be looked up in PostgreSQL (taken before the look-up, so a
   * burst of made-up credentials is counted in full). `refundUnverified` gives it back when the
   * credential proves valid, so only anonymous requests and refused credentials use the budget.
   */
  consumeUnverified(clientAddress: string): Promise<void> {
    return consume(
      this.unverifiedPerClient,
      clientBucket(clientAddress),
      'Too many requests without a valid credential from this address',
      ErrorReason.ANONYMOUS_RATE,
    );
  }

  async refundUnverified(clientAddress: string): Promise<void> {
    await this.unverifiedPerClient.reward(clientBucket(clientAddress));
  }

  /** Counts `requests` (1 for an ordinary request; more for work that costs like several). */
  consumeApiKey(apiKeyId: string, requests = 1): Promise<void> {
    return consume(
      this.perApiKey,
      apiKeyId,
      'Too many requests for this API key',
      ErrorReason.REQUEST_RATE,
      requests,
    );
  }

  consumeSession(sessionId: string, requests = 1): Promise<void> {
    return consume(
      this.perSession,
      sessionId,
      'Too many requests for this session',
      ErrorReason.REQUEST_RATE,
      requests,
    );
  }

  /**
   * Takes one failed attempt from the login budgets before a password is checked (so parallel
   * guesses are counted too); `succeeded` gives it back. Every client address has one strict
   * budget across accounts. Per account, the addresses it has never signed in from share one
   * budget, so spreading guesses over many addresses gains nothing; an address it signed in from
   * in the last LOGIN_KNOWN_ADDRESS_DAYS has a budget of its own, so strangers spending the shared
   * one cannot lock the owner out. `account` names the account as typed (tenant and e-mail), so
   * unknown accounts are limited alike and the budgets tell nothing about which ones exist.
   */
  async beginLogin(account: string, clientAddress: string): Promise<LoginAttempt> {
    const client = clientBucket(clientAddress);
    const knownKey = `vigil:login-known:${account}`;
    const since = await this.redis.zscore(knownKey, client);
    const known = since !== null && Number(since) > Date.now() - this.knownAddressMs;
    await consume(
      this.loginPerClient,
      client,
      'Too many failed login attempts from this address',
      ErrorReason.LOGIN_RATE,
    );
    const accountBudget = known ? `${account}|${client}` : account;
    await consume(
      this.loginPerAccount,
      accountBudget,
      'Too many failed login attempts for this account',
      ErrorReason.LOGIN_RATE,
    );
    return {
      succeeded: async () => {
        const now = Date.now();
        // Bookkeeping after the fact: the login has succeeded whatever Redis answers now.
        await Promise.all([
          this.loginPerClient.reward(client),
          this.loginPerAccount.reward(accountBudget),
          this.redis
            .multi()
            .zadd(knownKey, now, client)
            .zremrangebyscore(knownKey, 0, now - this.knownAddressMs)
            .zremrangebyrank(knownKey, 0, -(KNOWN_ADDRESSES_PER_ACCOUNT + 1))
            .pexpire(knownKey, this.knownAddressMs)
            .exec(),
        ]).catch(() => undefined);
      },
    };
  }
}

async function consume(
  limiter: RateLimiterRedis,
  key: string,
  message: string,
  reason: ErrorReason,
  points = 1,
): Promise<void> {
  try {
    await limiter.consume(key, points);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) {
      const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw rateLimited(`${message}; retry in ${retryAfterSeconds} s`, retryAfterSeconds, reason);
    }
    throw rejection;
  }
}
