import type { Logger } from 'pino';
import type { JobHandler } from '../jobs/job-queue';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';
import { recordRuleOutcomes } from '../rules/rule-errors';
import type { RulesRunner } from '../rules/rules-runner';

/**
 * The tenant's rules on one finished analysis. A rule that throws is handled inside the runner; only
 * infrastructure faults (database, Redis) fail the job, and BullMQ retries it: the runner is
 * idempotent per analysis. Each rule's latest failure is then kept on its row for its admins.
 */
export function evaluateRulesHandler(
  runner: RulesRunner,
  prisma: PrismaClient,
  logger: Logger,
): JobHandler<'evaluateRules'> {
  return {
    async run(payload) {
      const startedAt = new Date();
      const report = await runner.run(payload.tenantId, payload.analysisId);
      await recordRuleOutcomes(tenantDb(prisma, payload.tenantId), report, startedAt);
      return report;
    },
    onFailed(payload, error) {
      logger.error({ analysisId: payload.analysisId, err: error }, 'rules job failed');
    },
  };
}
