import type { TenantTx } from '../db/tenant-scoped-db';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';

/** Calendar month (UTC) a usage counter belongs to: "YYYY-MM". */
export function usageMonth(at: Date = new Date()): string {
  return at.toISOString().slice(0, 7);
}

export interface UsageIncrement {
  windowsAnalysed?: number;
  windowsGated?: number;
  windowsFailed?: number;
  windowsDegraded?: number;
  framesSent?: number;
  visionTokens?: number;
  promptTokens?: number;
  completionTokens?: number;
  reasoningTokens?: number;
  gpuMs?: number;
}

/** Adds to the stream's counter of this month, inside the transaction that records the analysis. */
export async function meterUsage(
  tx: TenantTx,
  tenantId: string,
  streamId: string,
  month: string,
  increment: UsageIncrement,
): Promise<void> {
  const big = (value: number | undefined): bigint => BigInt(Math.round(value ?? 0));
  const counts = {
    windowsAnalysed: increment.windowsAnalysed ?? 0,
    windowsGated: increment.windowsGated ?? 0,
    windowsFailed: increment.windowsFailed ?? 0,
    windowsDegraded: increment.windowsDegraded ?? 0,
    framesSent: increment.framesSent ?? 0,
    visionTokens: big(increment.visionTokens),
    promptTokens: big(increment.promptTokens),
    completionTokens: big(increment.completionTokens),
    reasoningTokens: big(increment.reasoningTokens),
    gpuMs: big(increment.gpuMs),
  };
  await tx.usageCounter.upsert({
    where: { tenantId_streamId_month: { tenantId, streamId, month } },
    create: { tenantId, streamId, month, ...counts },
    update: Object.fromEntries(Object.entries(counts).map(([key, value]) => [key, { increment: value }])),
  });
}

/** Prompt plus completion tokens a tenant used in a month: what its monthly budget limits. */
export async function tokensUsed(prisma: PrismaClient, tenantId: string, month: string): Promise<bigint> {
  const sum = await tenantDb(prisma, tenantId).usageCounter.aggregate({
    where: { month },
    _sum: { promptTokens: true, completionTokens: true },
  });
  return (sum._sum.promptTokens ?? 0n) + (sum._sum.completionTokens ?? 0n);
}

/**
 * Remembers, for a few seconds, whether a tenant's budget is used up, so that a busy worker does
 * not sum the month's counters for every window. A budget can therefore be overrun by what is in
 * flight when it runs out: at most a few seconds of one tenant's windows.
 */
export class BudgetCache {
  private readonly entries = new Map<string, { at: number; exhausted: boolean }>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly ttlMs = 5_000,
  ) {}

  async exhausted(tenantId: string, budget: bigint, month: string): Promise<boolean> {
    const key = `${tenantId}:${month}`;
    const cached = this.entries.get(key);
    if (cached && Date.now() - cached.at < this.ttlMs) return cached.exhausted;
    const exhausted = (await tokensUsed(this.prisma, tenantId, month)) >= budget;
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(key, { at: Date.now(), exhausted });
    return exhausted;
  }

  forget(tenantId: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(`${tenantId}:`)) this.entries.delete(key);
  }
}
