import Redis from 'ioredis';

/**
 * A Redis connection. `forWorkers` follows BullMQ's rule for blocking connections
 * (maxRetriesPerRequest: null); request paths keep a bound so a Redis outage fails fast.
 */
export function createRedis(url: string, options: { forWorkers?: boolean; name?: string } = {}): Redis {
  return new Redis(url, {
    connectionName: options.name ?? 'vigil',
    maxRetriesPerRequest: options.forWorkers ? null : 2,
    enableOfflineQueue: true,
    connectTimeout: 5_000,
    lazyConnect: false,
  });
}
