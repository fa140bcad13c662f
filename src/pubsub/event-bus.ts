import type Redis from 'ioredis';

/**
 * Events for live delivery (GraphQL subscriptions): each is appended to a Redis stream named after
 * its channel, capped at EVENT_HISTORY entries, so that a subscriber that reconnects with its last
 * cursor (the stream entry id) gets what it missed; and published on the same channel for every
 * API process that listens now. PostgreSQL stays the truth: an event lost here only delays what a
 * console shows.
 */
export const EVENT_HISTORY = 1_000;

export interface BusEvent<T = unknown> {
  /** Redis stream entry id: increasing per channel. */
  cursor: string;
  payload: T;
}

export async function publishEvent(redis: Redis, channel: string, payload: object): Promise<string> {
  const body = JSON.stringify(payload);
  const cursor = (await redis.xadd(channel, 'MAXLEN', '~', String(EVENT_HISTORY), '*', 'p', body)) ?? '';
  await redis.publish(channel, JSON.stringify({ cursor, payload } satisfies BusEvent));
  return cursor;
}

/** Events after `cursor` (exclusive), oldest first, at most `limit`. */
export async function eventsSince(
  redis: Redis,
  channel: string,
  cursor: string,
  limit = EVENT_HISTORY,
): Promise<BusEvent[]> {
  const entries = await redis.xrange(channel, `(${cursor}`, '+', 'COUNT', limit);
  return entries.map(([id, fields]) => ({ cursor: id, payload: JSON.parse(fields[1] ?? 'null') as unknown }));
}
