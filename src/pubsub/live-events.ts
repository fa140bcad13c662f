import type Redis from 'ioredis';
import { publishEvent } from './event-bus';

/** Sends one live event on a channel (GraphQL subscriptions listen on it). */
export type EventPublisher = (channel: string, payload: object) => Promise<unknown>;

export function redisPublisher(redis: Redis): EventPublisher {
  return (channel, payload) => publishEvent(redis, channel, payload);
}

/** A publisher for processes and tests that have no live consumers. */
export const noLiveEvents: EventPublisher = async () => undefined;

/**
 * The live events of a transaction, held until it commits: a console must never hear of a change
 * that was then rolled back. The owner that makes a change adds its event here inside the
 * transaction; whoever committed it calls `publish` afterwards.
 */
export class LiveEvents {
  private readonly pending: { channel: string; payload: object }[] = [];

  add(channel: string, payload: object): void {
    this.pending.push({ channel, payload });
  }

  /**
   * Sends the events in the order they were added. PostgreSQL has the rows; an event that cannot
   * be sent only delays what a console shows, so failures are reported, never thrown.
   */
  async publish(
    publisher: EventPublisher,
    onError?: (error: unknown, channel: string) => void,
  ): Promise<void> {
    const events = this.pending.splice(0);
    for (const { channel, payload } of events) {
      try {
        await publisher(channel, payload);
      } catch (error) {
        onError?.(error, channel);
      }
    }
  }
}
