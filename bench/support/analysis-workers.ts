/**
 * The inference benchmark's analysis worker processes: what the parent and each child
 * (analysis-worker-child.ts) say to each other over the fork IPC channel, the configuration both
 * the in-process run and the children use, and the parent's side (start K children, collect their
 * completions, stop them).
 */
import { ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { AppConfig, loadConfig } from '../../src/config/config';
import type { NodeDefinition } from '../../src/config/node-definition';
import { processCpuSeconds } from './ingest-cpu';
import type { StatementCounts } from './statement-counter';

/** What a child needs to run the analysis worker, passed as JSON in this environment variable. */
export const WORKER_OPTIONS_ENV = 'BENCH_ANALYSIS_WORKER';

export interface AnalysisWorkerOptions {
  databaseUrl: string;
  redisUrl: string;
  /** The LocalFrameStore root the parent writes the frames to. */
  frameRoot: string;
  /** ANALYSIS_CONCURRENCY of this process. */
  concurrency: number;
  workerId: string;
  nodes: NodeDefinition[];
}

/**
 * Child to parent. Completions are sent in batches (every COMPLETION_BATCH_MS) with their own
 * times and the child's SQL statements so far (statement-counter.ts).
 */
export type WorkerChildMessage =
  | { type: 'ready' }
  | { type: 'completed'; at: number[]; statements: StatementCounts }
  | { type: 'failed'; message: string };

/** Parent to child. */
export type WorkerParentMessage = { type: 'stop' };

export const COMPLETION_BATCH_MS = 50;

/** The worker's configuration in the benchmark, the same in this process and in the children. */
export function benchAnalysisConfig(databaseUrl: string, redisUrl: string, concurrency: number): AppConfig {
  return loadConfig({
    ...process.env,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    INFERENCE_MODE: 'vlm',
    ANALYSIS_CONCURRENCY: String(concurrency),
    NODE_POLL_INTERVAL_MS: '1000',
    NODE_BREAKER_FAILURES: '3',
    NODE_BREAKER_OPEN_MS: '5000',
    INFERENCE_IDLE_TIMEOUT_MS: '10000',
    LOG_LEVEL: 'warn',
  });
}

export interface WorkerChild {
  pid: number;
  /** Jobs this child has reported completed so far. */
  completed: number;
  /** SQL statements the child had sent when it last reported. */
  statements: StatementCounts;
  /** utime + stime of the child (all its threads) so far, from /proc. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

/**
 * Forks one analysis worker child (compiled JavaScript beside this module; from TypeScript
 * sources through tsx) and resolves once its worker is ready. `onCompleted` gets the time of
 * every job it completes. The child exits when told to stop, and by itself when this process
 * goes away (its IPC channel closes).
 */
export function startWorkerChild(
  options: AnalysisWorkerOptions,
  onCompleted: (at: number) => void,
): Promise<WorkerChild> {
  const compiled = path.extname(__filename) === '.js';
  const entry = path.join(__dirname, `analysis-worker-child${compiled ? '.js' : '.ts'}`);
  const execArgv = [
    ...(compiled ? [] : ['--import', pathToFileURL(require.resolve('tsx')).href]),
    // Node options for the workers alone, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them.
    ...(process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ];
  const child: ChildProcess = fork(entry, [], {
    env: { ...process.env, [WORKER_OPTIONS_ENV]: JSON.stringify(options) },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const handle: WorkerChild = {
    pid: child.pid ?? -1,
    completed: 0,
    statements: { total: 0, byKind: {} },
    cpuSeconds: () => {
      const seconds = processCpuSeconds(handle.pid);
      if (seconds === null)
        throw new Error(`analysis worker ${options.workerId} (pid ${handle.pid}) is gone`);
      return seconds;
    },
    stop: async () => {
      if (!running()) return;
      // With a callback, a channel that closed meanwhile is an argument to it, not an 'error' event.
      if (child.connected) child.send({ type: 'stop' } satisfies WorkerParentMessage, () => undefined);
      else child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
  child.on('message', (message: WorkerChildMessage) => {
    if (message.type !== 'completed') return;
    handle.completed += message.at.length;
    handle.statements = message.statements;
    for (const at of message.at) onCompleted(at);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`analysis worker ${options.workerId} was not ready within ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    const onExit = (code: number | null, signal: string | null): void => {
      clearTimeout(timer);
      reject(
        new Error(
          `analysis worker ${options.workerId} exited before it was ready (code ${code}, signal ${signal})`,
        ),
      );
    };
    child.once('exit', onExit);
    const onMessage = (message: WorkerChildMessage): void => {
      if (message.type === 'completed') return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('message', onMessage);
      if (message.type === 'ready') resolve(handle);
      else {
        child.kill('SIGKILL');
        reject(new Error(`analysis worker ${options.workerId} failed to start: ${message.message}`));
      }
    };
    child.on('message', onMessage);
  });
}

/** Starts `count` children at once; if one fails to start, the others are stopped. */
export async function startWorkerChildren(
  count: number,
  options: (index: number) => AnalysisWorkerOptions,
  onCompleted: (at: number) => void,
): Promise<WorkerChild[]> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) => startWorkerChild(options(i), onCompleted)),
  );
  const children = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.allSettled(children.map((child) => child.stop()));
    throw failure.reason;
  }
  return children;
}
