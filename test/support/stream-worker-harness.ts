import type Redis from 'ioredis';
import pino from 'pino';
import { StreamLeases } from '../../src/ingest/stream-leases';
import { startStreamRunner, type StreamRunnerDeps } from '../../src/ingest/stream-runner';
import { StreamSupervisor } from '../../src/ingest/stream-supervisor';

export interface SingleStreamWorker {
  /** The worker's Redis connection, which holds its leases. */
  redis: Redis;
  workerName: string;
  leaseMs: number;
  /** The one stream this worker samples for real. */
  streamId: string;
  runnerDeps: StreamRunnerDeps;
}

/**
 * A worker's stream supervisor (a tick every 200 ms) that runs a real stream runner for one stream
 * only: the database is shared with other test files, whose active streams get a runner that does
 * nothing.
 */
export function singleStreamSupervisor(worker: SingleStreamWorker): StreamSupervisor {
  return new StreamSupervisor(
    worker.runnerDeps.prisma,
    new StreamLeases(worker.redis, worker.workerName, worker.leaseMs),
    (stream, lease) =>
      stream.id === worker.streamId
        ? startStreamRunner(worker.runnerDeps, stream, lease)
        : { ended: false, stop: async () => undefined },
    pino({ level: 'silent' }),
    { tickMs: 200, maxStreams: 1_000 },
  );
}
