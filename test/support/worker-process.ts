import { fork } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StartWorkerOptions } from '../../src/workers/start-worker';

export interface WorkerProcess {
  pid: number;
  /** Kills it without letting it close (SIGKILL by default); resolves once it is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Asks it to stop as the worker process does on SIGTERM, then kills it if it has not exited. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * Forks worker-process.main (through tsx's loader) with `env` over this process's environment and
 * resolves once its worker has started.
 */
export function startWorkerProcess(
  env: Record<string, string>,
  options: StartWorkerOptions = {},
): Promise<WorkerProcess> {
  const child = fork(path.join(__dirname, 'worker-process.main.ts'), [], {
    env: { ...process.env, ...env, VIGIL_TEST_SERVING: JSON.stringify(options.serving ?? {}) },
    execArgv: ['--import', pathToFileURL(require.resolve('tsx')).href],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const handle: WorkerProcess = {
    pid: child.pid ?? -1,
    async kill(signal = 'SIGKILL') {
      if (!running()) return;
      child.kill(signal);
      await exited;
    },
    async stop() {
      if (!running()) return;
      if (child.connected) child.send('stop', () => undefined);
      else child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the worker process was not ready within ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the worker process exited before it was ready (code ${code}, signal ${signal})`));
    });
    child.once('message', (message) => {
      if (message !== 'ready') return;
      clearTimeout(timer);
      resolve(handle);
    });
  });
}
