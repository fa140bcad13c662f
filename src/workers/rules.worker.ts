import { Queue, Worker } from 'bullmq';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { RulesRunner } from '../rules/rules-runner';
import { DEFAULT_JOB_OPTIONS, QUEUES, RULES_JOBS, type EvaluateRulesPayload } from '../jobs/job-registry';

export function createRulesQueue(connection: Redis): Queue<EvaluateRulesPayload> {
  return new Queue<EvaluateRulesPayload>(QUEUES.rules, {
    connection,
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
  });
}

/** Queues the tenant's rules on a finished analysis, once (the job id is the analysis id). */
export async function scheduleRules(
  queue: Queue<EvaluateRulesPayload>,
  tenantId: string,
  analysisId: string,
): Promise<void> {
  await queue.add(RULES_JOBS.evaluateAnalysis, { tenantId, analysisId }, { jobId: analysisId });
}

/**
 * The rules queue's processor: one analysis per job. A rule that throws is handled inside the
 * runner; only infrastructure faults (database, Redis) fail the job, and BullMQ retries it — the
 * runner is idempotent per analysis.
 */
export function createRulesWorker(
  connection: Redis,
  runner: RulesRunner,
  logger: Logger,
  concurrency = 4,
): Worker<EvaluateRulesPayload> {
  const worker = new Worker<EvaluateRulesPayload>(
    QUEUES.rules,
    (job) => runner.run(job.data.tenantId, job.data.analysisId),
    { connection, concurrency },
  );
  worker.on('failed', (job, error) =>
    logger.error(
      { analysisId: job?.data.analysisId, attempt: job?.attemptsMade, err: error },
      'rules job failed',
    ),
  );
  return worker;
}
