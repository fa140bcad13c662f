import type { Logger } from 'pino';
import type { PrismaClient } from '../db/prisma-client';
import type { Stream } from '../generated/prisma/client';
import { SAMPLED_STATUSES } from '../streams/stream-status';
import type { StreamLeases } from './stream-leases';

/** A running sampler for one stream, as the supervisor sees it. */
export interface StreamRunner {
  stop(): Promise<void>;
}

export type StartRunner = (stream: Stream) => StreamRunner;

export interface SupervisorOptions {
  /** How often streams are listed and leases renewed. */
  tickMs: number;
  /** Most streams one worker process samples at once. */
  maxStreams: number;
}

/**
 * Runs exactly one sampler for each stream that should be sampled (ACTIVE, or ERROR while its
 * retries go on), across all worker processes. Every tick it renews its leases, stops runners whose
 * stream was paused, stopped, deleted or whose lease was lost, and claims unowned streams up to its
 * capacity. A stream started through GraphQL is picked up at the next tick; a paused one stops
 * within a tick; a dead worker's streams are taken over once its leases expire.
 */
export class StreamSupervisor {
  private readonly runners = new Map<string, StreamRunner>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly leases: StreamLeases,
    private readonly startRunner: StartRunner,
    private readonly logger: Logger,
    private readonly options: SupervisorOptions,
  ) {}

  start(): void {
    const loop = () => {
      this.ticking = this.tick()
        .catch((error: unknown) => this.logger.error({ err: error }, 'supervisor tick failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.options.tickMs);
        });
    };
    loop();
  }

  /** Streams this process samples now. */
  owned(): string[] {
    return [...this.runners.keys()];
  }

  async tick(): Promise<void> {
    const wanted = await this.prisma.stream.findMany({
      where: { status: { in: [...SAMPLED_STATUSES] } },
      orderBy: { id: 'asc' },
    });
    const wantedById = new Map(wanted.map((stream) => [stream.id, stream]));

    for (const streamId of [...this.runners.keys()]) {
      const keep = wantedById.has(streamId) && (await this.leases.renew(streamId));
      if (!keep)
        await this.stopRunner(streamId, wantedById.has(streamId) ? 'lease lost' : 'no longer active');
    }

    // Different workers start their scan at different places, so streams spread across them.
    const candidates = wanted.filter((stream) => !this.runners.has(stream.id));
    const offset = candidates.length ? Math.floor(Math.random() * candidates.length) : 0;
    for (let i = 0; i < candidates.length && this.runners.size < this.options.maxStreams; i += 1) {
      const stream = candidates[(offset + i) % candidates.length]!;
      if (this.stopped) return;
      if (!(await this.leases.acquire(stream.id))) continue;
      this.logger.info({ streamId: stream.id, tenantId: stream.tenantId }, 'stream claimed');
      this.runners.set(stream.id, this.startRunner(stream));
    }
  }

  /**
   * What a crashed process leaves behind: no more heartbeats, its samplers gone, its leases still
   * in Redis until they expire. Used to test take-over.
   */
  async crash(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await Promise.all([...this.runners.values()].map((runner) => runner.stop()));
    this.runners.clear();
  }

  /** Stops every runner and releases the leases, so other workers can take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await Promise.all(
      [...this.runners.keys()].map((streamId) => this.stopRunner(streamId, 'worker stopping')),
    );
  }

  private async stopRunner(streamId: string, reason: string): Promise<void> {
    const runner = this.runners.get(streamId);
    this.runners.delete(streamId);
    try {
      await runner?.stop();
    } finally {
      await this.leases.release(streamId);
      this.logger.info({ streamId, reason }, 'stream released');
    }
  }
}
