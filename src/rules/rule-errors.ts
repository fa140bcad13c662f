import type { TenantDb } from '../db/tenant-scoped-db';
import type { RulesRunReport } from './rules-runner';

// A failure message is for the rule's admin to read, not a stack: long ones are cut.
const MAX_ERROR_LENGTH = 1000;

/**
 * Keeps each rule's latest failure (Rule.lastError) true to the latest evaluation: a rule that threw
 * on this run shows the error; a rule that ran cleanly on it shows none, whatever failed before.
 * `startedAt` is when this run began: an error another worker recorded after that is newer than this
 * run's success and stays. Bookkeeping of the workers, not a change by anyone: not audited.
 */
export async function recordRuleOutcomes(
  db: TenantDb,
  report: RulesRunReport,
  startedAt: Date,
): Promise<void> {
  if (report.status !== 'EVALUATED') return;
  // Nothing to record or clear: no rule failed now, and none carried an error when the run read
  // them (one recorded since then is newer than this run's start, so it would stay anyway).
  if (report.failed.length === 0 && report.rulesWithEarlierErrors === 0) return;
  const now = new Date();
  for (const failure of report.failed) {
    await db.rule.updateMany({
      where: { id: failure.ruleId },
      data: { lastError: failure.error.slice(0, MAX_ERROR_LENGTH), lastErrorAt: now },
    });
  }
  await db.rule.updateMany({
    where: {
      enabled: true,
      lastError: { not: null },
      lastErrorAt: { lt: startedAt },
      id: { notIn: report.failed.map((failure) => failure.ruleId) },
    },
    data: { lastError: null, lastErrorAt: null },
  });
}
