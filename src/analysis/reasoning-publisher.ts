import type Redis from 'ioredis';
import type { ChainableCommander } from 'ioredis';
import { REASONING_SO_FAR_TTL_SECONDS, type ReasoningMessage } from '../pubsub/topics';

/** Reasoning arrives in many small deltas; Redis gets them in batches of at most this age. */
const REASONING_FLUSH_MS = 100;

/**
 * Batches reasoning deltas onto one analysis's channel. The text so far is kept in Redis beside
 * the channel, so a console that opens mid-analysis reads it and then places each delta by its
 * offset. Publishing never fails the analysis.
 *
 * Each batch is one pipeline on the one connection, not a MULTI: Redis runs a connection's
 * commands in order, so the text is appended before its delta is announced all the same, without
 * the transaction's two extra commands. The key's expiry is set when an attempt starts and again
 * at the end, not on every delta: an attempt ends (the request timeout) long before the key
 * would expire.
 */
export class ReasoningPublisher {
  private buffer = '';
  private attemptNo = 0;
  /** Characters of the current attempt's reasoning already published. */
  private published = 0;
  private timer: NodeJS.Timeout | null = null;
  private pending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly channel: string,
    private readonly soFarKey: string,
    private readonly analysisId: string,
  ) {}

  attempt(attempt: number, node: string): void {
    this.flush();
    this.attemptNo = attempt;
    this.published = 0;
    this.send({ type: 'attempt', analysisId: this.analysisId, attempt, node }, (batch) =>
      batch.set(this.soFarKey, '', 'EX', REASONING_SO_FAR_TTL_SECONDS),
    );
  }

  delta(text: string): void {
    this.buffer += text;
    this.timer ??= setTimeout(() => this.flush(), REASONING_FLUSH_MS);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.buffer) return;
    const text = this.buffer;
    this.buffer = '';
    const offset = this.published;
    this.published += text.length;
    // Appended before it is announced: whoever reads the key after hearing a delta has that text.
    this.send(
      { type: 'delta', analysisId: this.analysisId, attempt: this.attemptNo, offset, text },
      (batch) => batch.append(this.soFarKey, text),
    );
  }

  private send(message: ReasoningMessage, store?: (batch: ChainableCommander) => ChainableCommander): void {
    this.pending = this.pending.then(() => {
      const batch = this.redis.pipeline();
      store?.(batch);
      return batch
        .publish(this.channel, JSON.stringify(message))
        .exec()
        .catch(() => undefined);
    });
  }

  async close(): Promise<void> {
    this.flush();
    this.send({ type: 'end', analysisId: this.analysisId, status: 'finished' }, (batch) =>
      batch.expire(this.soFarKey, REASONING_SO_FAR_TTL_SECONDS),
    );
    await this.pending;
  }
}
