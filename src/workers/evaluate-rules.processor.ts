import type { Logger } from 'pino';
import type { JobHandler } from '../jobs/job-queue';
import type { RulesRunner } from '../rules/rules-runner';

/**
 * The tenant's rules on one finished analysis. A rule that throws is handled inside the runner; only
 * infrastructure faults (database, Redis) fail the job, and BullMQ retries it: the runner is
 * idempotent per analysis.
 */
export function evaluateRulesHandler(runner: RulesRunner, logger: Logger): JobHandler<'evaluateRules'> {
  return {
    run: (payload) => runner.run(payload.tenantId, payload.analysisId),
    onFailed(payload, error) {
      logger.error({ analysisId: payload.analysisId, err: error }, 'rules job failed');
    },
  };
}
