import type { TenantDb } from '../db/tenant-scoped-db';
import { stitchesInto } from '../incidents/incident-stitching';
import {
  compileCondition,
  evaluateCondition,
  type CompiledCondition,
  type ResultFacts,
} from './rule-evaluator';
import { loadHistoryFromDb } from './stream-history';
import type { Condition } from './rule-definition';

export const DEFAULT_BACKTEST_LIMIT = 500;
export const MAX_BACKTEST_LIMIT = 2_000;

export interface BacktestFiring {
  windowId: string;
  analysisId: string;
  endAt: Date;
  /** Whether this firing would have opened an incident (rather than stitched into the previous one). */
  opensIncident: boolean;
  matchedPaths: string[];
}

export interface BacktestOutcome {
  /** Results evaluated (the stream's finished analyses in the range, RULE_INPUT_STATUSES, one per window). */
  evaluated: number;
  firings: BacktestFiring[];
  incidents: number;
}

/**
 * What a rule would have fired on a stream's stored results: evaluates the condition on each result
 * of the range (oldest first) with the history the live engine would have had, and stitches the
 * firings into incidents with the rule's cooldown. Reads only; text predicates on the reasoning see
 * each result's full reasoning when it is the current one, as live.
 */
export async function backtestRule(
  db: TenantDb,
  streamId: string,
  rule: { condition: Condition; cooldownSeconds: number },
  range: { from?: Date | null; to?: Date | null; limit: number },
): Promise<BacktestOutcome> {
  const compiled: CompiledCondition = compileCondition(rule.condition);
  const results = await loadHistoryFromDb(db, streamId, {
    afterEndAt: range.from ?? undefined,
    beforeEndAt: range.to ? new Date(range.to.getTime() + 1) : undefined,
    limit: range.limit,
    keepReasoning: true,
  });
  // What came before the range, as the live engine's history would have held it.
  const warmUp =
    compiled.historyDepth > 0 && results.length
      ? await loadHistoryFromDb(db, streamId, {
          beforeEndAt: new Date(results[0]!.endAt),
          limit: compiled.historyDepth,
        })
      : [];
  const timeline: ResultFacts[] = [...warmUp, ...results.map((facts) => ({ ...facts }))];
  const windows = new Map(
    (
      await db.window.findMany({
        where: { id: { in: results.map((facts) => facts.windowId) } },
        select: { id: true, startAt: true, endAt: true },
      })
    ).map((window) => [window.id, window]),
  );
  const firings: BacktestFiring[] = [];
  let open = null as { endAt: Date; lastFiredAt: Date } | null;
  let incidents = 0;
  for (let index = warmUp.length; index < timeline.length; index += 1) {
    const current = timeline[index]!;
    const history = timeline
      .slice(Math.max(0, index - compiled.historyDepth), index)
      .map((facts) => ({ ...facts, reasoning: '' }));
    const evaluation = evaluateCondition(compiled, current, history, { explain: true });
    if (!evaluation.matched) continue;
    const window = windows.get(current.windowId) ?? {
      startAt: new Date(current.endAt),
      endAt: new Date(current.endAt),
    };
    const opensIncident = !open || !stitchesInto(open, window, rule.cooldownSeconds);
    if (!open || opensIncident) {
      incidents += 1;
      open = { endAt: window.endAt, lastFiredAt: window.endAt };
    } else {
      open = {
        endAt: window.endAt > open.endAt ? window.endAt : open.endAt,
        lastFiredAt: window.endAt > open.lastFiredAt ? window.endAt : open.lastFiredAt,
      };
    }
    firings.push({
      windowId: current.windowId,
      analysisId: current.analysisId,
      endAt: new Date(current.endAt),
      opensIncident,
      matchedPaths: evaluation.matchedPaths,
    });
  }
  return { evaluated: results.length, firings, incidents };
}
