import type { JobQueue } from '../jobs/job-queue';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';
import type { Stream } from '../generated/prisma/client';
import { startSampler, Sampler, SamplerOutcome } from '../media/ffmpeg-sampler';
import { SamplerError } from '../media/sampler-errors';
import { SourceAddressPolicy, sourceAddressPolicy } from '../media/source-address-policy';
import { createJpegFrameDedup } from '../media/frame-dedup';
import type { FrameStore } from '../storage/frame-store';
import { noLiveEvents, redisPublisher } from '../pubsub/live-events';
import { StreamStatusOwner } from '../streams/stream-status';
import { AdaptiveRate } from './adaptive-rate';
import { LeaseLostError, type SamplerLease } from './sampler-lease';
import { StreamRecorder } from './stream-recorder';
import { maxKeptFrameGapMs } from './window-assembler';
import type { StreamRunner } from './stream-supervisor';

export interface StreamRunnerDeps {
  prisma: PrismaClient;
  store: FrameStore;
  jobs: JobQueue;
  config: AppConfig;
  logger: Logger;
  /** Waits between failed attempts; replaced in tests. */
  backoff?: (attempt: number) => number;
  /** Publishes status changes (streamStatus subscriptions); none when absent. */
  publisher?: Redis;
  /**
   * Where sources may connect; by default the stream source rules, loopback allowed only with
   * ALLOW_FILE_SOURCES. Replaced in tests to treat a loopback test server as a public host.
   */
  sourceAddressPolicy?: SourceAddressPolicy;
}

const COUNTER_FLUSH_MS = 2_000;
const MAX_BACKOFF_MS = 60_000;

/** Exponential backoff with full jitter: 1 s, 2 s, 4 s … up to a minute, each scaled by 0.5–1.5. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.5 + random()));
}

/**
 * Samples one stream until stopped: ffmpeg sampler -> adaptive rate -> SSIM dedup -> recorder
 * (frame store, Frame and Window rows, analysis queue). A failing source is retried with backoff
 * and shows as ERROR with its lastError; a file source that finishes becomes ENDED. Nothing here
 * throws out of the runner: every failure ends up in the stream's status. Under a `lease` (a
 * worker's), the runner ends itself as soon as the lease may be lost, leaving the stream to whoever
 * holds it now; without one, it is the stream's one writer by construction (tests, tools).
 */
export function startStreamRunner(
  deps: StreamRunnerDeps,
  stream: Stream,
  lease: SamplerLease | null = null,
): StreamRunner {
  const log = deps.logger.child({ streamId: stream.id, tenantId: stream.tenantId });
  const db = tenantDb(deps.prisma, stream.tenantId);
  const addressPolicy = deps.sourceAddressPolicy ?? sourceAddressPolicy(deps.config.ALLOW_FILE_SOURCES);
  let stopped = false;
  let ended = false;
  let sampler: Sampler | undefined;
  let wake: (() => void) | undefined;

  // Only the states the runner owns are changed: a pause or stop from a user always wins.
  const status = new StreamStatusOwner(deps.publisher ? redisPublisher(deps.publisher) : noLiveEvents);

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function runOnce(rate: AdaptiveRate): Promise<SamplerOutcome> {
    const recorder = await StreamRecorder.open(deps.prisma, deps.store, deps.jobs, stream, lease, {
      maxGapMs: maxKeptFrameGapMs(
        stream.fps,
        deps.config.ADAPTIVE_MIN_FPS,
        deps.config.DEDUP_KEEP_EVERY_SECONDS,
      ),
    });
    // A finite source sampled before (by this worker or one that lost the stream) goes on just
    // after its last kept frame, on its own clock: nothing analysed is sampled again, and capture
    // times, windows and progress continue as if it had never stopped. Anything else starts
    // again with time gone by unsampled: a break, which no window spans.
    const resume = recorder.lastSourcePosition;
    if (!resume) await recorder.breakRun();
    const dedup = createJpegFrameDedup({
      threshold: stream.ssimThreshold,
      keepAtLeastEverySeconds: deps.config.DEDUP_KEEP_EVERY_SECONDS,
    });
    sampler = startSampler({
      ffmpegPath: deps.config.FFMPEG_PATH,
      source: { url: stream.sourceUrl, kind: stream.kind },
      fps: stream.fps,
      maxWidth: stream.maxWidth,
      startSequence: recorder.nextSequence,
      ...(resume
        ? {
            startOffsetSeconds: resume.offsetSeconds + 1 / stream.fps,
            sourceStartTime: resume.sourceStartTime,
          }
        : {}),
      silenceTimeoutMs: deps.config.SOURCE_SILENCE_TIMEOUT_MS,
      // A file plays as if it were live, so windows arrive at the pace a camera would give them.
      readAtNativeRate: stream.kind === 'FILE',
      addressPolicy,
      maxPixels: deps.config.SOURCE_MAX_PIXELS,
      memoryLimitBytes: deps.config.FFMPEG_MEMORY_LIMIT_MB * 1024 * 1024,
    });
    const flush = async () => {
      const backlog = await db.window.count({ where: { status: 'QUEUED' } });
      // A resumed file has no progress of its own until its first frame: the stored one stands.
      const progressPercent = sampler?.progressPercent;
      await recorder.flushCounters({
        effectiveFps: rate.adjust(backlog),
        ...(progressPercent !== undefined ? { progressPercent } : {}),
      });
    };
    let flushing = Promise.resolve();
    const flushTimer = setInterval(() => {
      flushing = flushing
        .then(flush)
        .catch((error: unknown) => log.warn({ err: error }, 'counter flush failed'));
    }, COUNTER_FLUSH_MS);
    let first = true;
    try {
      for await (const frame of sampler) {
        if (first) {
          first = false;
          await status.reportSource(db, stream, 'sourceRecovered', { lastError: null });
        }
        if (!rate.admit(frame.capturedAt)) {
          recorder.skip();
          continue;
        }
        const decision = await dedup.decide(frame.jpeg, frame.capturedAt);
        if (decision.keep) await recorder.keep(frame);
        else recorder.skip();
      }
      return await sampler.outcome;
    } finally {
      clearInterval(flushTimer);
      await flushing;
      await flush().catch((error: unknown) => log.warn({ err: error }, 'counter flush failed'));
    }
  }

  const done = (async () => {
    const rate = new AdaptiveRate(
      stream.fps,
      deps.config.ADAPTIVE_MIN_FPS,
      deps.config.ADAPTIVE_BACKLOG_WINDOWS,
    );
    let failures = 0;
    while (!stopped) {
      let outcome: SamplerOutcome;
      try {
        outcome = await runOnce(rate);
      } catch (error) {
        if (error instanceof LeaseLostError) {
          // Not the stream's failure: this worker may no longer sample it. Nothing more is written.
          log.warn({ reason: error.message }, 'sampler stopped: its lease may be lost');
          await sampler?.stop();
          return;
        }
        log.error({ err: error }, 'stream runner failed');
        const reason =
          error instanceof SamplerError ? error : new SamplerError('unknown', (error as Error).message);
        outcome = { kind: 'failed', error: reason, frames: 0 };
      }
      if (stopped || outcome.kind === 'stopped') return;
      if (lease && !lease.held()) {
        log.warn('sampler stopped: its lease may be lost');
        return;
      }
      // A file, or a network source with a known duration (a clip, an HLS VOD playlist), is
      // finite: reaching its end is success. A live source that ends is retried like a failure.
      const finite = stream.kind === 'FILE' || sampler?.durationSeconds !== undefined;
      if (outcome.kind === 'ended' && finite) {
        await status.reportSource(db, stream, 'sourceEnded', { progressPercent: 100, lastError: null });
        log.info('finite source ended');
        return;
      }
      failures = outcome.kind === 'ended' ? failures + 1 : outcome.frames > 0 ? 1 : failures + 1;
      // Every role reads lastError, so it carries only what a tenant may know (the sampler's
      // tenantMessage: "source unreachable", "address not allowed"); the detail (hosts, addresses,
      // what answered, ffmpeg's redacted stderr) goes to the operator's log.
      const message =
        outcome.kind === 'failed'
          ? outcome.error.tenantMessage
          : 'the source ended; a live stream is expected to go on';
      const waitMs = (deps.backoff ?? backoffMs)(failures);
      log.warn(
        outcome.kind === 'failed'
          ? {
              failures,
              waitMs,
              kind: outcome.error.kind,
              reason: outcome.error.message,
              stderr: outcome.error.stderrTail.slice(-10),
            }
          : { failures, waitMs, reason: message },
        'stream source failed; retrying',
      );
      await status
        .reportSource(db, stream, 'sourceFailed', { lastError: message.slice(0, 1000) })
        .catch(() => undefined);
      await sleep(waitMs);
    }
  })().finally(() => {
    ended = true;
  });

  return {
    get ended() {
      return ended;
    },
    async stop() {
      stopped = true;
      wake?.();
      await sampler?.stop();
      await done;
    },
  };
}
