import { DelayedError, type Job, Worker } from 'bullmq';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { type JobHandler, type JobHandlers, RunAgainLater } from '../jobs/job-queue';
import { JOBS, jobKindOf, type JobKind, type QueueName, QUEUES } from '../jobs/job-registry';

/** How each queue is served: how many jobs at once in one process, and how long a job's lock lasts. */
export interface QueueServing {
  concurrency: number;
  /** Thinking takes minutes at worst: the lock is renewed while a job runs, so only a dead worker's jobs are taken over. */
  lockDurationMs?: number;
  maxStalledCount?: number;
  /** How often this process looks for jobs whose lock expired (BullMQ's 30 s by default). */
  stalledIntervalMs?: number;
}

export const DEFAULT_SERVING: Record<QueueName, QueueServing> = {
  [QUEUES.analysis]: { concurrency: 4, lockDurationMs: 60_000, maxStalledCount: 2 },
  [QUEUES.rules]: { concurrency: 4 },
  [QUEUES.webhooks]: { concurrency: 16 },
  [QUEUES.maintenance]: { concurrency: 1 },
  // A clip build runs ffmpeg on two cores for seconds: one at a time per worker process.
  [QUEUES.evidence]: { concurrency: 1, lockDurationMs: 120_000 },
  // Verifications walk whole audit chains (one per tenant at a time, by their own lock) and anchors
  // are written to a remote store: both away from the maintenance queue's clocks.
  [QUEUES.audit]: { concurrency: 2 },
};

export interface JobWorkersOptions {
  /** The queues this set of workers serves (all by default). */
  queues?: QueueName[];
  serving?: Partial<Record<QueueName, Partial<QueueServing>>>;
  /** BullMQ's key prefix, as given to the BullJobQueue. */
  prefix?: string;
  logger: Logger;
}

export interface JobWorkers {
  workers: Map<QueueName, Worker>;
  close(): Promise<void>;
}

/**
 * Refuses a set of handlers that leaves a job of a served queue without a handler, and a table in
 * which two kinds share one BullMQ name on a queue (one of them would never run).
 */
export function checkHandlers(
  handlers: Partial<Record<string, { run?: unknown }>>,
  queues: readonly QueueName[],
  table: Readonly<Record<string, { queue: QueueName; name: string }>> = JOBS,
): void {
  const seen = new Map<string, string>();
  for (const [kind, job] of Object.entries(table)) {
    const key = `${job.queue}/${job.name}`;
    const other = seen.get(key);
    if (other) throw new Error(`Jobs ${other} and ${kind} are both ${key}`);
    seen.set(key, kind);
    if (queues.includes(job.queue) && typeof handlers[kind]?.run !== 'function') {
      throw new Error(`No handler for the job ${kind} (${key}); the worker cannot start`);
    }
  }
  for (const kind of Object.keys(handlers)) {
    if (!(kind in table)) throw new Error(`A handler for ${kind}, which the job table does not know`);
  }
}

/**
 * One BullMQ worker per served queue, each dispatching a job by its name to the handler of its kind.
 * A handler that returns RunAgainLater moves its job back to delayed without using up an attempt.
 */
export function startJobWorkers(
  connection: Redis,
  handlers: Partial<JobHandlers>,
  options: JobWorkersOptions,
): JobWorkers {
  const queues = options.queues ?? (Object.values(QUEUES) as QueueName[]);
  checkHandlers(handlers, queues);
  const workers = new Map<QueueName, Worker>();
  const connections: Redis[] = [];
  for (const queue of queues) {
    const serving = { ...DEFAULT_SERVING[queue], ...options.serving?.[queue] };
    const own = connection.duplicate();
    connections.push(own);
    const handlerOf = (job: Job): JobHandler<JobKind> | undefined => {
      const kind = jobKindOf(queue, job.name);
      return kind ? (handlers[kind] as JobHandler<JobKind> | undefined) : undefined;
    };
    const worker = new Worker(
      queue,
      async (job, token) => {
        const handler = handlerOf(job);
        if (!handler) throw new Error(`No handler for ${queue}/${job.name}`);
        const backoff = job.opts.backoff;
        const result = await handler.run(job.data, {
          attemptsMade: job.attemptsMade,
          attempts: job.opts.attempts ?? 1,
          backoffMs: typeof backoff === 'object' ? (backoff.delay ?? 0) : (backoff ?? 0),
        });
        if (result instanceof RunAgainLater) {
          await job.moveToDelayed(Date.now() + result.delayMs, token);
          throw new DelayedError();
        }
        return result;
      },
      {
        connection: own,
        concurrency: serving.concurrency,
        ...(serving.lockDurationMs ? { lockDuration: serving.lockDurationMs } : {}),
        ...(serving.maxStalledCount !== undefined ? { maxStalledCount: serving.maxStalledCount } : {}),
        ...(serving.stalledIntervalMs ? { stalledInterval: serving.stalledIntervalMs } : {}),
        ...(options.prefix ? { prefix: options.prefix } : {}),
      },
    );
    // BullMQ writes an 'error' no one listens to on stderr, outside the JSON log: every event that
    // carries an error goes through the process's logger instead.
    worker.on('error', (error) => {
      options.logger.error({ queue, err: error }, 'job worker error');
    });
    worker.on('stalled', (jobId) => {
      options.logger.warn(
        { queue, jobId },
        'job stalled: its worker stopped renewing the lock; it runs again',
      );
    });
    worker.on('failed', (job, error) => {
      if (!job) {
        options.logger.error({ queue, err: error }, 'job failed');
        return;
      }
      const handler = handlerOf(job);
      const final = job.attemptsMade >= (job.opts.attempts ?? 1);
      if (handler?.onFailed) handler.onFailed(job.data, error, final);
      else
        options.logger.error({ queue, job: job.name, attempt: job.attemptsMade, err: error }, 'job failed');
    });
    workers.set(queue, worker);
  }
  return {
    workers,
    async close() {
      await Promise.all([...workers.values()].map((worker) => worker.close()));
      await Promise.allSettled(connections.map((own) => own.quit()));
    },
  };
}
