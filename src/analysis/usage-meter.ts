import type { TenantTx } from '../db/tenant-scoped-db';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';
import type { GpuSpend } from '../inference/inference-metrics';
import { addFinishedWindows } from '../streams/stream-counters';

/** Calendar month (UTC) a usage counter belongs to: "YYYY-MM". */
export function usageMonth(at: Date = new Date()): string {
  return at.toISOString().slice(0, 7);
}

/** What one or more windows add to their stream's month: outcomes, and what the GPU was sent and did. */
export interface UsageIncrement extends GpuSpend {
  windowsAnalysed?: number;
  windowsGated?: number;
  windowsFailed?: number;
  windowsDegraded?: number;
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
    estimatedTokens: big(increment.estimatedTokens),
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

/**
 * Usage increments of many windows, written once a second: every window of a stream would
 * otherwise update the same two rows (its UsageCounter and its Stream), and concurrent jobs would
 * queue on their row locks. A worker that dies loses at most the last second of counts; the
 * Analysis rows keep every window's own figures.
 */
export class UsageBuffer {
  private pending = new Map<
    string,
    { tenantId: string; streamId: string; month: string; increment: Required<UsageIncrement> }
  >();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly onError: (error: unknown) => void,
    private readonly everyMs = 1_000,
  ) {}

  add(tenantId: string, streamId: string, month: string, increment: UsageIncrement): void {
    const key = `${tenantId}:${streamId}:${month}`;
    let entry = this.pending.get(key);
    if (!entry) {
      entry = { tenantId, streamId, month, increment: { ...EMPTY_INCREMENT } };
      this.pending.set(key, entry);
    }
    for (const [name, value] of Object.entries(increment) as [keyof UsageIncrement, number | undefined][]) {
      entry.increment[name] += value ?? 0;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.everyMs);
      this.timer.unref();
    }
  }

  /** Writes everything added so far; resolves once it is in PostgreSQL. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = [...this.pending.values()];
    this.pending.clear();
    this.flushing = this.flushing.then(async () => {
      for (const entry of batch) {
        try {
          const db = tenantDb(this.prisma, entry.tenantId);
          await db.$transaction(async (tx) => {
            await meterUsage(tx, entry.tenantId, entry.streamId, entry.month, entry.increment);
            // The stream counts every window whose analysis finished: analysed, degraded or gated.
            await addFinishedWindows(
              tx,
              entry.streamId,
              entry.increment.windowsAnalysed + entry.increment.windowsGated,
            );
          });
        } catch (error) {
          this.onError(error);
        }
      }
    });
    return this.flushing;
  }
}

const EMPTY_INCREMENT: Required<UsageIncrement> = {
  windowsAnalysed: 0,
  windowsGated: 0,
  windowsFailed: 0,
  windowsDegraded: 0,
  framesSent: 0,
  visionTokens: 0,
  promptTokens: 0,
  completionTokens: 0,
  reasoningTokens: 0,
  estimatedTokens: 0,
  gpuMs: 0,
};
