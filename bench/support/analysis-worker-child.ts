/**
 * One analysis worker process of the inference benchmark (forked by analysis-workers.ts): the
 * analysis runtime as the worker process runs it (node pool, local detector, BullMQ processor),
 * on the benchmark's database, Redis and frame store, with the parent's fake nodes. Reports
 * readiness and the time of each completed job over IPC; on `stop`, SIGTERM/SIGINT or when the
 * parent goes away (IPC channel closed), closes the runtime, Redis and Prisma and exits.
 */
import 'reflect-metadata';
import type Redis from 'ioredis';
import pino from 'pino';
import { createPrismaClient, type PrismaClient } from '../../src/db/prisma-client';
import { createRedis } from '../../src/redis/redis-client';
import { LocalFrameStore } from '../../src/storage/frame-store';
import { type StartedAnalysisRuntime, startAnalysisRuntime } from '../../src/workers/analysis-runtime';
import { BullJobQueue } from '../../src/jobs/bullmq-job-queue';
import { QUEUES } from '../../src/jobs/job-registry';
import {
  type AnalysisWorkerOptions,
  benchAnalysisConfig,
  COMPLETION_BATCH_MS,
  WORKER_OPTIONS_ENV,
  type WorkerChildMessage,
  type WorkerParentMessage,
} from './analysis-workers';
import { countStatements } from './statement-counter';

/** Installed before the Prisma client exists, so every statement of this process is counted. */
const statements = countStatements();

/**
 * How long the runtime may take to close: after a `stop` no job is in flight, but when the parent
 * is gone its fake nodes are gone too, and the jobs in flight fall back to the local detector,
 * whose CPU-bound work keeps the runtime busy for many seconds.
 */
const CLOSE_TIMEOUT_MS = { stop: 10_000, forced: 2_000 };
/** Whatever hangs, the process exits this long after the runtime's close began. */
const EXIT_GRACE_MS = 3_000;

/** Sends to the parent; resolves once written, or at once when the parent is gone (no EPIPE throw). */
const send = (message: WorkerChildMessage): Promise<void> =>
  new Promise((resolve) => {
    if (!process.connected || !process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });

let prisma: PrismaClient | null = null;
let connection: Redis | null = null;
let jobs: BullJobQueue | null = null;
let runtime: StartedAnalysisRuntime | null = null;
let pending: number[] = [];
let stopping = false;

const flush = (): Promise<void> => {
  if (pending.length === 0) return Promise.resolve();
  const at = pending;
  pending = [];
  return send({ type: 'completed', at, statements: statements() });
};

/**
 * Closes everything and exits. `force`: the parent is gone (or a signal came), so jobs in flight
 * are not waited for (BullMQ hands them to another worker once their locks expire); they may still
 * touch Redis while it closes, so errors are expected then and not printed.
 */
async function shutdown(code: number, force: boolean): Promise<void> {
  if (stopping) return;
  stopping = true;
  const closeTimeout = force ? CLOSE_TIMEOUT_MS.forced : CLOSE_TIMEOUT_MS.stop;
  setTimeout(() => process.exit(code), closeTimeout + EXIT_GRACE_MS).unref();
  if (force) connection?.on('error', () => undefined);
  const step = async (what: string, close: () => Promise<unknown> | undefined): Promise<void> => {
    try {
      await close();
    } catch (error) {
      if (!force) console.error(`bench analysis worker: ${what} failed`, error);
    }
  };
  if (force)
    await step('closing the worker', () => runtime?.workers.workers.get(QUEUES.analysis)?.close(true));
  await step('closing the runtime', () =>
    runtime
      ? Promise.race([
          runtime.close(),
          new Promise<void>((resolve) => setTimeout(resolve, closeTimeout).unref()),
        ])
      : undefined,
  );
  await flush(); // the last completions, delivered before the exit
  await step('closing the queue', () => jobs?.close());
  await step('closing Redis', () => connection?.quit());
  await step('closing Prisma', () => prisma?.$disconnect());
  process.exit(code);
}

// Registered first: a parent that dies while this process starts is noticed too.
process.on('disconnect', () => void shutdown(0, true));
process.on('SIGTERM', () => void shutdown(0, true));
process.on('SIGINT', () => void shutdown(0, true));
process.on('message', (message: WorkerParentMessage) => {
  if (message.type === 'stop') void shutdown(0, false);
});

async function main(): Promise<void> {
  const raw = process.env[WORKER_OPTIONS_ENV];
  if (!raw)
    throw new Error(`${WORKER_OPTIONS_ENV} is not set: this module is started by analysis-workers.ts`);
  const options = JSON.parse(raw) as AnalysisWorkerOptions;
  const config = benchAnalysisConfig(options.databaseUrl, options.redisUrl, options.concurrency);
  prisma = createPrismaClient(options.databaseUrl);
  connection = createRedis(options.redisUrl, { forWorkers: true, name: `vigil-bench-${options.workerId}` });
  jobs = new BullJobQueue(connection, config);
  runtime = await startAnalysisRuntime({
    config,
    prisma,
    connection,
    jobs,
    store: new LocalFrameStore(options.frameRoot),
    logger: pino({ level: 'warn' }).child({ worker: options.workerId }),
    workerId: options.workerId,
    loadNodes: async () => options.nodes,
  });
  const worker = runtime.workers.workers.get(QUEUES.analysis)!;
  worker.on('completed', () => pending.push(Date.now()));
  setInterval(() => void flush(), COMPLETION_BATCH_MS);
  await worker.waitUntilReady();
  if (stopping) return;
  await send({ type: 'ready' });
}

main().catch((error: unknown) => {
  void send({
    type: 'failed',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  }).then(() => shutdown(1, true));
});
