import type { TenantDb } from '../db/tenant-scoped-db';
import { badInput } from '../errors/domain-error';
import type { Tenant, UsageCounter } from '../generated/prisma/client';
import type { OverBudgetAction } from '../generated/prisma/enums';
import { usageMonth } from '../analysis/usage-meter';

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export interface UsageCountsView {
  windowsAnalysed: number;
  windowsGated: number;
  windowsFailed: number;
  windowsDegraded: number;
  framesSent: number;
  visionTokens: number;
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  tokensEstimated: number;
  gpuSeconds: number;
}

export interface StreamUsageView extends UsageCountsView {
  streamId: string;
  streamName: string;
  streamDeleted: boolean;
}

export interface TenantUsageView {
  month: string;
  tokenBudget: number;
  tokensUsed: number;
  budgetExhausted: boolean;
  overBudgetAction: OverBudgetAction;
  totals: UsageCountsView;
  streams: StreamUsageView[];
}

/** The month a usage query asks about: "YYYY-MM", the current UTC month when omitted. */
export function parseUsageMonth(month: string | null | undefined, now = new Date()): string {
  if (month === null || month === undefined) return usageMonth(now);
  if (!MONTH.test(month)) throw badInput([{ field: 'month', message: 'must be a month as YYYY-MM' }]);
  return month;
}

/** "YYYY-MM-01" of the month after `month` ("YYYY-MM"). */
export function firstDayOfNextMonth(month: string): string {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, monthNumber, 1)).toISOString().slice(0, 10);
}

/**
 * What a stream shows while its tenant's token budget is used up this month (the analysis worker
 * sets budgetExhaustedMonth); null otherwise, also once a new month has begun.
 */
export function analysisNotice(
  tenant: Pick<Tenant, 'budgetExhaustedMonth' | 'overBudgetAction'>,
  now = new Date(),
): string | null {
  const month = usageMonth(now);
  if (tenant.budgetExhaustedMonth !== month) return null;
  const until = firstDayOfNextMonth(month);
  return tenant.overBudgetAction === 'PAUSE'
    ? `The monthly token budget is used up: the tenant's streams were paused for that reason; streams started again are analysed by the local detector until ${until}`
    : `The monthly token budget is used up: windows are analysed by the local detector until ${until}`;
}

type Counter = Pick<
  UsageCounter,
  | 'windowsAnalysed'
  | 'windowsGated'
  | 'windowsFailed'
  | 'windowsDegraded'
  | 'framesSent'
  | 'visionTokens'
  | 'promptTokens'
  | 'completionTokens'
  | 'reasoningTokens'
  | 'estimatedTokens'
  | 'gpuMs'
>;

const ZERO: Counter = {
  windowsAnalysed: 0,
  windowsGated: 0,
  windowsFailed: 0,
  windowsDegraded: 0,
  framesSent: 0,
  visionTokens: 0n,
  promptTokens: 0n,
  completionTokens: 0n,
  reasoningTokens: 0n,
  estimatedTokens: 0n,
  gpuMs: 0n,
};

/** Sums counters exactly (BigInt), converting to numbers only at the end. */
export function sumCounters(counters: readonly Counter[]): Counter {
  return counters.reduce<Counter>(
    (sum, counter) => ({
      windowsAnalysed: sum.windowsAnalysed + counter.windowsAnalysed,
      windowsGated: sum.windowsGated + counter.windowsGated,
      windowsFailed: sum.windowsFailed + counter.windowsFailed,
      windowsDegraded: sum.windowsDegraded + counter.windowsDegraded,
      framesSent: sum.framesSent + counter.framesSent,
      visionTokens: sum.visionTokens + counter.visionTokens,
      promptTokens: sum.promptTokens + counter.promptTokens,
      completionTokens: sum.completionTokens + counter.completionTokens,
      reasoningTokens: sum.reasoningTokens + counter.reasoningTokens,
      estimatedTokens: sum.estimatedTokens + counter.estimatedTokens,
      gpuMs: sum.gpuMs + counter.gpuMs,
    }),
    ZERO,
  );
}

export function countsView(counter: Counter): UsageCountsView {
  return {
    windowsAnalysed: counter.windowsAnalysed,
    windowsGated: counter.windowsGated,
    windowsFailed: counter.windowsFailed,
    windowsDegraded: counter.windowsDegraded,
    framesSent: counter.framesSent,
    visionTokens: Number(counter.visionTokens),
    promptTokens: Number(counter.promptTokens),
    completionTokens: Number(counter.completionTokens),
    reasoningTokens: Number(counter.reasoningTokens),
    tokensEstimated: Number(counter.estimatedTokens),
    gpuSeconds: Number(counter.gpuMs) / 1000,
  };
}

const tokensOf = (counter: Counter): bigint => counter.promptTokens + counter.completionTokens;

/**
 * A tenant's metering per month, from the UsageCounter rows the analysis worker keeps. The rows of
 * deleted streams count as any other (usage belongs to the tenant and the month), with the name
 * the stream had when it was deleted.
 */
export class UsageService {
  async usage(db: TenantDb, tenant: Tenant, month?: string | null): Promise<TenantUsageView> {
    const wanted = parseUsageMonth(month);
    const counters = await db.usageCounter.findMany({ where: { month: wanted } });
    const streams = counters.length
      ? await db.stream.findMany({
          where: { id: { in: counters.map((counter) => counter.streamId) } },
          select: { id: true, name: true },
        })
      : [];
    const names = new Map(streams.map((stream) => [stream.id, stream.name]));
    const totals = sumCounters(counters);
    const used = tokensOf(totals);
    return {
      month: wanted,
      tokenBudget: Number(tenant.monthlyTokenBudget),
      tokensUsed: Number(used),
      // The same test the analysis worker applies (usage-meter.ts), against the current budget.
      budgetExhausted: used >= tenant.monthlyTokenBudget,
      overBudgetAction: tenant.overBudgetAction,
      totals: countsView(totals),
      streams: [...counters]
        .sort((a, b) => {
          const difference = tokensOf(b) - tokensOf(a);
          return difference > 0n ? 1 : difference < 0n ? -1 : a.streamId.localeCompare(b.streamId);
        })
        .map((counter) => ({
          streamId: counter.streamId,
          streamName: names.get(counter.streamId) ?? counter.streamName ?? '',
          streamDeleted: !names.has(counter.streamId),
          ...countsView(counter),
        })),
    };
  }
}
