import { type Job, type JobsOptions, Queue } from 'bullmq';
import type Redis from 'ioredis';
import type { EnqueueOptions, JobQueue } from './job-queue';
import {
  JOBS,
  type JobKind,
  type JobOptions,
  type JobPayloads,
  type JobSettings,
  type QueueName,
  QUEUES,
} from './job-registry';

/** Job states in which a job will still run (or is running): a reconciler leaves those alone. */
const LIVE_STATES = new Set(['waiting', 'prioritized', 'active', 'delayed', 'waiting-children']);

export interface BullJobQueueOptions {
  /** BullMQ's key prefix ('bull' by default); tests give each suite its own. */
  prefix?: string;
  /**
   * Errors a queue emits (its Redis connection failing, say). Unheard, BullMQ writes them on
   * stderr outside the process's JSON log.
   */
  onError?: (error: Error, queue: QueueName) => void;
}

export function bullJobOptions(options: JobOptions): JobsOptions {
  return {
    attempts: options.attempts,
    backoff: { type: 'exponential', delay: options.backoffMs },
    ...(options.priority !== undefined ? { priority: options.priority } : {}),
    ...(options.delayMs !== undefined ? { delay: options.delayMs } : {}),
    removeOnComplete: { count: options.keepCompleted.count, age: options.keepCompleted.ageSeconds },
    removeOnFail: { count: options.keepFailed.count, age: options.keepFailed.ageSeconds },
  };
}

/** The BullMQ options of one job: the table's options for its kind, its id, and the caller's overrides. */
export function jobOptionsFor<K extends JobKind>(
  kind: K,
  payload: JobPayloads[K],
  settings: JobSettings,
  options: EnqueueOptions = {},
): JobsOptions {
  const definition = JOBS[kind];
  return {
    ...bullJobOptions({ ...definition.options(settings), ...options }),
    jobId: definition.jobId(payload),
  };
}

/**
 * The process's queues, on one Redis connection: the JobQueue that producers are given, and the
 * BullMQ queues themselves for the worker process (schedules) and for tests. Queues are created on
 * first use and closed together.
 */
export class BullJobQueue implements JobQueue {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    private readonly connection: Redis,
    private readonly settings: JobSettings,
    private readonly options: BullJobQueueOptions = {},
  ) {}

  get prefix(): string | undefined {
    return this.options.prefix;
  }

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: this.connection,
        ...(this.options.prefix ? { prefix: this.options.prefix } : {}),
      });
      const onError = this.options.onError;
      if (onError) queue.on('error', (error) => onError(error, name));
      this.queues.set(name, queue);
    }
    return queue;
  }

  jobOptions<K extends JobKind>(kind: K, payload: JobPayloads[K], options?: EnqueueOptions): JobsOptions {
    return jobOptionsFor(kind, payload, this.settings, options);
  }

  async add<K extends JobKind>(kind: K, payload: JobPayloads[K], options?: EnqueueOptions): Promise<void> {
    const definition = JOBS[kind];
    await this.queue(definition.queue).add(definition.name, payload, this.jobOptions(kind, payload, options));
  }

  ensure<K extends JobKind>(kind: K, payload: JobPayloads[K], options?: EnqueueOptions): Promise<boolean> {
    // A finished job under the id would block the add: it goes; a live one stays.
    return this.addUnless(kind, payload, options, async (existing) => {
      if (LIVE_STATES.has(await existing.getState())) return true;
      await existing.remove();
      return false;
    });
  }

  restore<K extends JobKind>(kind: K, payload: JobPayloads[K], options?: EnqueueOptions): Promise<boolean> {
    // Any job under the id, finished or not, means the work was queued and is not repeated.
    return this.addUnless(kind, payload, options, async () => true);
  }

  /** Adds the job unless `keeps` says the job already under its id stands; true when added. */
  private async addUnless<K extends JobKind>(
    kind: K,
    payload: JobPayloads[K],
    options: EnqueueOptions | undefined,
    keeps: (existing: Job) => Promise<boolean>,
  ): Promise<boolean> {
    const definition = JOBS[kind];
    const queue = this.queue(definition.queue);
    const existing = await queue.getJob(definition.jobId(payload));
    if (existing && (await keeps(existing))) return false;
    await queue.add(definition.name, payload, this.jobOptions(kind, payload, options));
    return true;
  }

  /**
   * Makes Redis hold exactly the table's periodic jobs: a schedule that is missing (Redis lost its
   * data, or this is the first worker) or has another interval is declared, and a schedule the
   * table no longer has is removed. Answers the kinds that had to be declared. Idempotent, so every
   * worker calls it at start and then on a timer; a schedule already right is not touched, so its
   * next run is not pushed back.
   */
  async assertSchedules(): Promise<JobKind[]> {
    const declared: JobKind[] = [];
    const periodic = (Object.keys(JOBS) as JobKind[]).filter((kind) => JOBS[kind].every);
    for (const name of new Set(periodic.map((kind) => JOBS[kind].queue))) {
      const queue = this.queue(name);
      const kinds = periodic.filter((kind) => JOBS[kind].queue === name);
      const wanted = new Set(kinds.map((kind) => JOBS[kind].name));
      // One read of the queue's schedules serves both the removals and the comparisons.
      const everyMs = new Map<string, number>();
      for (const scheduler of await queue.getJobSchedulers()) {
        if (!wanted.has(scheduler.key)) await queue.removeJobScheduler(scheduler.key);
        else everyMs.set(scheduler.key, Number(scheduler.every));
      }
      for (const kind of kinds) {
        const definition = JOBS[kind];
        const every = definition.every!;
        if (everyMs.get(definition.name) === every.ms) continue;
        await queue.upsertJobScheduler(
          definition.name,
          { every: every.ms },
          {
            name: definition.name,
            data: every.payload,
            opts: bullJobOptions(definition.options(this.settings)),
          },
        );
        declared.push(kind);
      }
    }
    return declared;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
  }
}

export const ALL_QUEUES: QueueName[] = Object.values(QUEUES);
