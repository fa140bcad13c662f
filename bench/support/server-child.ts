import { ChildProcess, fork } from 'node:child_process';
import type { ChildMessage } from './protocol';

export interface ServerChild {
  pid: number;
  port: number;
  /** CPU time the child has used so far, in microseconds (user + system, all its threads). */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/** Forks a compiled server module (see protocol.ts) and waits until it listens. */
export function startServerChild(
  modulePath: string,
  env: NodeJS.ProcessEnv,
  execArgv: string[] = [],
): Promise<ServerChild> {
  const child: ChildProcess = fork(modulePath, [], {
    env,
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.send({ type: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  const cpuMicros = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: ChildMessage): void => {
        if (message.type !== 'cpu') return;
        child.off('message', onMessage);
        resolve(message.user + message.system);
      };
      child.on('message', onMessage);
      child.send({ type: 'cpu' }, (error) => {
        if (error) {
          child.off('message', onMessage);
          reject(error);
        }
      });
    });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${modulePath} did not report ready within ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    const onExit = (code: number | null, signal: string | null): void => {
      clearTimeout(timer);
      reject(new Error(`${modulePath} exited before it was ready (code ${code}, signal ${signal})`));
    };
    child.once('exit', onExit);
    const onMessage = (message: ChildMessage): void => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        child.off('exit', onExit);
        child.off('message', onMessage);
        resolve({ pid: child.pid ?? -1, port: message.port, cpuMicros, stop });
      } else if (message.type === 'failed') {
        clearTimeout(timer);
        child.off('exit', onExit);
        child.off('message', onMessage);
        reject(new Error(`${modulePath} failed to start: ${message.message}`));
      }
    };
    child.on('message', onMessage);
  });
}
