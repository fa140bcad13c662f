import type Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { AppConfig } from '../config/config';
import { ErrorReason, rateLimited } from '../errors/domain-error';

/**
 * Request budgets kept in Redis, so every API process shares them. Exceeding one gives
 * RATE_LIMITED with the number of seconds to wait.
 */
export class RateLimitService {
  private readonly perApiKey: RateLimiterRedis;
  private readonly perSession: RateLimiterRedis;
  private readonly loginPerAccount: RateLimiterRedis;
  private readonly loginPerClient: RateLimiterRedis;

  constructor(redis: Redis, config: AppConfig) {
    const limiter = (keyPrefix: string, points: number) =>
      new RateLimiterRedis({ storeClient: redis, keyPrefix: `vigil:rl:${keyPrefix}`, points, duration: 60 });
    this.perApiKey = limiter('api-key', config.RATE_LIMIT_API_KEY_PER_MINUTE);
    this.perSession = limiter('session', config.RATE_LIMIT_SESSION_PER_MINUTE);
    this.loginPerAccount = limiter('login-account', config.RATE_LIMIT_LOGIN_PER_MINUTE);
    // A client address may sign in to several accounts (an office behind one NAT), so it gets more.
    this.loginPerClient = limiter('login-client', config.RATE_LIMIT_LOGIN_PER_MINUTE * 5);
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

  async consumeLogin(account: string, clientAddress: string): Promise<void> {
    await consume(
      this.loginPerClient,
      clientAddress,
      'Too many login attempts from this address',
      ErrorReason.LOGIN_RATE,
    );
    await consume(
      this.loginPerAccount,
      account,
      'Too many login attempts for this account',
      ErrorReason.LOGIN_RATE,
    );
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
