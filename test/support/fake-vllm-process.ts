import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type {
  FakeVllmConfigPatch,
  FakeVllmFault,
  FakeVllmFaultKind,
  FakeVllmOptions,
  FakeVllmStats,
} from '../fakes/fake-vllm-server';
// Type-only, but it makes tsc compile the entry into dist/ beside this file for benchmarks.
import type { FakeVllmReadyLine } from '../fakes/fake-vllm.main';

export interface FakeVllmProcess {
  url: string;
  pid: number;
  control: FakeVllmControl;
  /** Kills the process without letting it close (a GPU node that dies); resolves once it is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited within a few seconds. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
const STDERR_TAIL_CHARS = 4_000;

/**
 * Starts test/fakes/fake-vllm.main as its own OS process and resolves once it listens. From
 * TypeScript sources (jest, tsx) the entry runs through tsx's loader; from compiled JavaScript
 * (dist/, benchmarks) the compiled entry beside this file runs on plain node.
 */
export function startFakeVllmProcess(options: FakeVllmOptions = {}): Promise<FakeVllmProcess> {
  const compiled = path.extname(__filename) === '.js';
  const entry = path.join(__dirname, '..', 'fakes', `fake-vllm.main${compiled ? '.js' : '.ts'}`);
  const execArgv = compiled ? [] : ['--import', pathToFileURL(require.resolve('tsx')).href];
  const child = spawn(process.execPath, [...execArgv, entry], {
    env: { ...process.env, FAKE_VLLM_OPTIONS: JSON.stringify(options) },
    // The IPC channel is there so the fake exits when this process dies without stopping it.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  // Not referenced: an unstopped fake must not keep a test run or benchmark alive.
  child.unref();
  child.channel?.unref();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderrTail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderrTail = (stderrTail + text).slice(-STDERR_TAIL_CHARS);
  });
  unrefStream(child.stderr);
  unrefStream(child.stdout);

  return new Promise<FakeVllmProcess>((resolve, reject) => {
    let stdout = '';
    const fail = (message: string): void => {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout?.off('data', onData);
      child.kill('SIGKILL');
      reject(new Error(`fake vLLM ${message}${stderrTail ? `; stderr: ${stderrTail.trim()}` : ''}`));
    };
    const timer = setTimeout(() => fail(`did not listen within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    const onExit = (code: number | null, signal: string | null): void =>
      fail(`exited before it listened (code ${code}, signal ${signal})`);
    const onData = (text: string): void => {
      stdout += text;
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      let ready: FakeVllmReadyLine;
      try {
        ready = JSON.parse(stdout.slice(0, newline)) as FakeVllmReadyLine;
      } catch {
        return fail(`printed something other than its ready line: ${stdout.slice(0, newline)}`);
      }
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout?.off('data', onData);
      child.stdout?.resume(); // keep draining, so a stray write can never block it
      resolve(handle(child, exited, ready.url));
    };
    child.once('exit', onExit);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', onData);
  });
}

function handle(child: ChildProcess, exited: Promise<void>, url: string): FakeVllmProcess {
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    url,
    pid: child.pid ?? -1,
    control: new FakeVllmControl(url),
    kill: async (signal: NodeJS.Signals = 'SIGKILL') => {
      if (!running()) return;
      child.ref(); // so that this process waits for the exit it asked for
      child.kill(signal);
      await exited;
    },
    stop: async () => {
      if (!running()) return;
      child.ref();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

function unrefStream(stream: unknown): void {
  // The child's pipes are net.Sockets, which can be unreferenced; the stream types do not say so.
  (stream as { unref?: () => void } | null)?.unref?.();
}

/** A client for the fake's /__fake/ control API. */
export class FakeVllmControl {
  constructor(readonly url: string) {}

  /** Queues faults for the next chat requests (`engine-dead` instead switches the engine off). */
  async addFaults(...faults: (FakeVllmFault | FakeVllmFaultKind)[]): Promise<void> {
    await this.call('POST', '/__fake/faults', { faults });
  }

  /** Drops queued faults and brings a dead engine back. */
  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/__fake/faults');
  }

  async configure(patch: FakeVllmConfigPatch): Promise<void> {
    await this.call('POST', '/__fake/config', patch);
  }

  /** Contents returned verbatim (as JSON text) by the next requests, in order. */
  async queueResults(...results: unknown[]): Promise<void> {
    await this.call('POST', '/__fake/results', { results });
  }

  async stats(): Promise<FakeVllmStats> {
    return (await this.call('GET', '/__fake/stats')) as FakeVllmStats;
  }

  /** Clears statistics, metrics counters, faults and queued results; the configuration stays. */
  async reset(): Promise<void> {
    await this.call('POST', '/__fake/reset');
  }

  private async call(method: string, route: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.url}${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`fake vLLM ${method} ${route}: HTTP ${response.status} ${text}`);
    return JSON.parse(text) as unknown;
  }
}
