import { EventEmitter } from 'node:events';
import pino from 'pino';
import { ProcessLike, runUntilSignal } from './graceful-shutdown';

const silent = pino({ level: 'silent' });

function fakeProcess() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  const host: ProcessLike = {
    once: (signal, listener) => emitter.once(signal, listener),
    exit: (code) => {
      exits.push(code);
    },
  };
  return { emitter, exits, host };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('runUntilSignal', () => {
  it('stops once on SIGTERM, even if SIGINT follows, and exits 0', async () => {
    const { emitter, exits, host } = fakeProcess();
    const stop = jest.fn().mockResolvedValue(undefined);
    runUntilSignal(silent, 1_000, stop, host);
    expect(stop).not.toHaveBeenCalled();
    emitter.emit('SIGTERM', 'SIGTERM');
    emitter.emit('SIGINT', 'SIGINT');
    await flush();
    expect(stop).toHaveBeenCalledTimes(1);
    expect(exits).toEqual([0]);
  });

  it('exits 1 when stopping fails', async () => {
    const { emitter, exits, host } = fakeProcess();
    runUntilSignal(silent, 1_000, () => Promise.reject(new Error('db gone')), host);
    emitter.emit('SIGINT', 'SIGINT');
    await flush();
    expect(exits).toEqual([1]);
  });

  it('exits 1 when stopping takes longer than the timeout', async () => {
    jest.useFakeTimers();
    try {
      const { emitter, exits, host } = fakeProcess();
      runUntilSignal(silent, 500, () => new Promise<void>(() => undefined), host);
      emitter.emit('SIGTERM', 'SIGTERM');
      jest.advanceTimersByTime(499);
      expect(exits).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(exits).toEqual([1]);
    } finally {
      jest.useRealTimers();
    }
  });
});
