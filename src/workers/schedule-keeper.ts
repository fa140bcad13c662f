import type { Logger } from 'pino';
import type { BullJobQueue } from '../jobs/bullmq-job-queue';

/** How often each worker checks that Redis still holds the periodic jobs' schedules. */
export const SCHEDULE_CHECK_EVERY_MS = 15_000;

export interface ScheduleKeeper {
  stop(): void;
}

/**
 * The periodic jobs' schedules live in Redis only. Every worker asserts them at start and then on a
 * timer, so that after Redis lost its data the maintenance jobs (deadlines, lost jobs, retention)
 * come back within one check, without a worker restart. A schedule found missing means Redis lost
 * its data: the reconciliation of lost jobs is queued at once instead of at its next turn.
 */
export function keepSchedules(
  jobs: BullJobQueue,
  logger: Logger,
  everyMs = SCHEDULE_CHECK_EVERY_MS,
): ScheduleKeeper {
  let running = false;
  const check = async () => {
    if (running) return;
    running = true;
    try {
      const declared = await jobs.assertSchedules();
      if (declared.length === 0) return;
      logger.warn(
        { declared },
        'periodic jobs were missing from Redis: declared again, lost jobs being reconciled',
      );
      await jobs.ensure('reconcileLostJobs', {});
    } catch (error) {
      // Redis is unreachable: the next check tries again.
      logger.warn({ err: error }, 'could not check the periodic jobs');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void check(), everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
