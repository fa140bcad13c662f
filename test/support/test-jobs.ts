import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { BullJobQueue } from '../../src/jobs/bullmq-job-queue';
import type { JobSettings } from '../../src/jobs/job-registry';

const SETTINGS: JobSettings = { WEBHOOK_MAX_ATTEMPTS: 6, WEBHOOK_BACKOFF_MS: 10_000 };

/**
 * The job queues of one test suite under a key prefix of its own, so suites never see each other's
 * jobs; without a prefix, the queues every process of Vigil uses.
 */
export function testJobQueue(
  connection: Redis,
  options: { prefix?: string | null; settings?: Partial<JobSettings> } = {},
): BullJobQueue {
  const prefix =
    options.prefix === null ? undefined : (options.prefix ?? `test-${randomBytes(4).toString('hex')}`);
  return new BullJobQueue(connection, { ...SETTINGS, ...options.settings }, { prefix });
}
