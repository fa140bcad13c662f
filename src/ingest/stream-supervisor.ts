import type { Logger } from 'pino';
import type { PrismaClient } from '../db/prisma-client';
import type { Stream } from '../generated/prisma/client';
import { tenantDb } from '../db/tenant-scoped-db';
import { raiseSamplerFence } from '../streams/sampler-fence';
import { leaseValidUntil, SamplerLease } from './sampler-lease';
import { SAMPLED_STATUSES } from '../streams/stream-status';
import type { StreamLeases } from './stream-leases';

/** A running sampler for one stream, as the supervisor sees it. */
export interface StreamRunner {
  /** True once the runner has ended by itself (its source finished, or its lease may be lost). */
  readonly ended: boolean;
  stop(): Promise<void>;
}

/** Starts the sampler of a stream whose lease this worker has just taken. */
export type StartRunner = (stream: Stream, lease: SamplerLease) => StreamRunner;

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
 *
 * Taking a lease raises the stream's fence in PostgreSQL, and the runner writes under that fence
 * (SamplerLease): a worker cut off from Redis stops writing once its last renewal may have
 * expired, and the database refuses anything written under an older fence, so two samplers never
 * write one stream at once.
 */
export class StreamSupervisor {
  private readonly runners = new Map<string, StreamRunner>();
  private readonly leasesHeld = new Map<string, SamplerLease>();
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

    for (const [streamId, runner] of [...this.runners]) {
      if (!wantedById.has(streamId)) {
        await this.stopRunner(streamId, 'no longer active');
        continue;
      }
      // A runner that ended by itself gives its stream back; the next tick may claim it afresh.
      if (runner.ended) {
        await this.stopRunner(streamId, 'sampler ended');
        continue;
      }
      const sentAt = Date.now();
      if (await this.leases.renew(streamId))
        this.leasesHeld.get(streamId)?.extend(leaseValidUntil(sentAt, this.leases.leaseMs));
      else await this.stopRunner(streamId, 'lease lost');
    }

    // Different workers start their scan at different places, so streams spread across them.
    const candidates = wanted.filter((stream) => !this.runners.has(stream.id));
    const offset = candidates.length ? Math.floor(Math.random() * candidates.length) : 0;
    for (let i = 0; i < candidates.length && this.runners.size < this.options.maxStreams; i += 1) {
      const stream = candidates[(offset + i) % candidates.length]!;
      if (this.stopped) return;
      const sentAt = Date.now();
      if (!(await this.leases.acquire(stream.id))) continue;
      // Raised in PostgreSQL after the lease is ours: any earlier owner's writes are refused from now.
      const samplerFence = await raiseSamplerFence(tenantDb(this.prisma, stream.tenantId), stream.id);
      const lease = new SamplerLease(samplerFence, leaseValidUntil(sentAt, this.leases.leaseMs));
      this.logger.info({ streamId: stream.id, tenantId: stream.tenantId, samplerFence }, 'stream claimed');
      this.leasesHeld.set(stream.id, lease);
      this.runners.set(stream.id, this.startRunner({ ...stream, samplerFence }, lease));
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
    this.leasesHeld.clear();
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
    this.leasesHeld.delete(streamId);
    try {
      await runner?.stop();
    } finally {
      await this.leases.release(streamId);
      this.logger.info({ streamId, reason }, 'stream released');
    }
  }
}
