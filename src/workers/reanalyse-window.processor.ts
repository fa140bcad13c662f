import type { WindowAnalysis } from '../analysis/window-analysis';
import { type JobHandler, RunAgainLater } from '../jobs/job-queue';
import { REANALYSIS_RETRY_MS } from '../jobs/job-registry';

/**
 * A GPU analysis of a window analysed locally (DEGRADED) while every node was down. While no node
 * can serve it yet, the job waits and looks again, without using up an attempt.
 */
export function reanalyseWindowHandler(
  analysis: WindowAnalysis,
  retryMs = REANALYSIS_RETRY_MS,
): JobHandler<'reanalyseWindow'> {
  return {
    async run(payload) {
      const outcome = await analysis.analyse(payload.tenantId, payload.windowId, { reanalysis: true });
      return outcome.status === 'WAIT' ? new RunAgainLater(retryMs) : outcome;
    },
  };
}
