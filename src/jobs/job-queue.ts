import type { JobKind, JobPayloads } from './job-registry';

export interface EnqueueOptions {
  /** Overrides the table's priority (1 is the most urgent). */
  priority?: number;
  /** Overrides the table's delay. */
  delayMs?: number;
}

/**
 * The port through which ingest, inference, rules, webhooks and services queue work. One object per
 * process holds the queues (bullmq-job-queue.ts) and is passed to whoever needs it; nothing else
 * reaches for a queue of its own.
 */
export interface JobQueue {
  /** Queues a job under its deterministic id; a job with that id already queued is left as it is. */
  add<K extends JobKind>(kind: K, payload: JobPayloads[K], options?: EnqueueOptions): Promise<void>;
  /**
   * Queues the job unless one with its id is waiting, active or delayed; a finished one under that
   * id is removed first (it would block the add). True when the job was queued now. For reconcilers
   * that put back what Redis lost.
   */
  ensure<K extends JobKind>(kind: K, payload: JobPayloads[K], options?: EnqueueOptions): Promise<boolean>;
  /**
   * Queues the job only when Redis has no job under its id at all, in any state: a job that ran
   * (and succeeded, or failed for good) is left alone. True when the job was queued now. For
   * reconcilers that put back work Redis lost without repeating work that already ended.
   */
  restore<K extends JobKind>(kind: K, payload: JobPayloads[K], options?: EnqueueOptions): Promise<boolean>;
}

/** What a handler knows of the job it runs. */
export interface JobRun {
  /** Attempts made before this one (0 on the first). */
  attemptsMade: number;
  /** Attempts allowed in all. */
  attempts: number;
  /** The first backoff delay; attempt n waits backoffMs * 2^(n-1). */
  backoffMs: number;
}

/** Returned by a handler whose job must run again later (not a failure: no attempt is used up). */
export class RunAgainLater {
  constructor(readonly delayMs: number) {}
}

export interface JobHandler<K extends JobKind> {
  run(payload: JobPayloads[K], job: JobRun): Promise<unknown>;
  /** After an attempt failed; `final` when no attempt is left. */
  onFailed?(payload: JobPayloads[K], error: Error, final: boolean): void;
}

/** A handler for every kind of job in the table: a missing one does not compile. */
export type JobHandlers = { [K in JobKind]: JobHandler<K> };
