import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import Redis from 'ioredis';
import pino from 'pino';
import { BullJobQueue } from '../src/jobs/bullmq-job-queue';
import { QUEUES } from '../src/jobs/job-registry';
import { startJobWorkers } from '../src/workers/job-workers';
import { waitFor } from './support/wait-for';

/**
 * BullMQ's own errors (a worker's or a queue's Redis connection failing) reach the process's JSON
 * log through pino, never stderr: real BullMQ workers and queues against a Redis port where
 * nothing listens.
 */
describe('BullMQ errors in the JSON log', () => {
  it('logs worker and queue errors as JSON lines naming the queue, and writes nothing to stderr', async () => {
    const lines: { level: number; msg: string; queue?: string; err?: { message: string; stack: string } }[] =
      [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString('utf8')) as (typeof lines)[number]);
          done();
        },
      }),
    );
    const stderr = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const written = jest.spyOn(process.stderr, 'write');
    // Nothing listens on port 1: every connection attempt is refused, until the client gives up.
    const unreachable = new Redis('redis://127.0.0.1:1', {
      maxRetriesPerRequest: null,
      retryStrategy: (times) => (times > 10 ? null : 100),
    });
    unreachable.on('error', () => undefined);
    const prefix = `test-${randomBytes(4).toString('hex')}`;
    const jobs = new BullJobQueue(
      unreachable,
      { WEBHOOK_MAX_ATTEMPTS: 6, WEBHOOK_BACKOFF_MS: 10_000 },
      { prefix, onError: (error, queue) => logger.error({ queue, err: error }, 'job queue error') },
    );
    const run = async () => undefined;
    const workers = startJobWorkers(
      unreachable,
      { evaluateRules: { run } },
      { queues: [QUEUES.rules], prefix, logger },
    );
    jobs.queue(QUEUES.analysis);
    try {
      await waitFor(
        () =>
          lines.some((line) => line.msg === 'job worker error' && line.queue === QUEUES.rules) &&
          lines.some((line) => line.msg === 'job queue error' && line.queue === QUEUES.analysis),
        10_000,
      );
      const logged = lines.find((line) => line.msg === 'job worker error')!;
      expect(logged.level).toBe(50);
      expect(logged.err!.message).toMatch(/ECONNREFUSED/);
      expect(logged.err!.stack).toContain('Error');
      expect(stderr).not.toHaveBeenCalled();
      expect(written).not.toHaveBeenCalled();
    } finally {
      stderr.mockRestore();
      written.mockRestore();
      unreachable.disconnect();
      await Promise.allSettled([workers.close(), jobs.close()]);
    }
  });
});
