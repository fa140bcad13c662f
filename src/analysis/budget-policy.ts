import type { Logger } from 'pino';
import { recordAudit, systemActor } from '../audit/audit-log';
import type { PrismaClient } from '../db/prisma-client';
import type { TenantDb } from '../db/tenant-scoped-db';
import { type EventPublisher, LiveEvents } from '../pubsub/live-events';
import { StreamStatusOwner } from '../streams/stream-status';
import { BudgetCache } from './usage-meter';

/** What the policy needs to know of a tenant. */
export interface TenantBudget {
  monthlyTokenBudget: bigint;
  budgetExhaustedMonth: string | null;
  overBudgetAction: 'LOCAL' | 'PAUSE';
}

/**
 * A tenant's monthly token budget: once it is used up, new windows are analysed locally, and a
 * tenant that chose PAUSE has its active streams paused (once per month, with the reason shown on
 * each stream). The month is marked on the tenant so the API can show it.
 */
export class BudgetPolicy {
  private readonly cache: BudgetCache;
  private readonly streams: StreamStatusOwner;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly publisher: EventPublisher,
    private readonly logger: Logger,
  ) {
    this.cache = new BudgetCache(prisma);
    this.streams = new StreamStatusOwner(publisher);
  }

  /**
   * Whether the GPU may be used for the tenant's window this month; when not, the over-budget
   * action is carried out the first time it is noticed.
   */
  async allowsGpu(db: TenantDb, tenantId: string, tenant: TenantBudget, month: string): Promise<boolean> {
    if (!(await this.cache.exhausted(tenantId, tenant.monthlyTokenBudget, month))) return true;
    await this.onExhausted(db, tenantId, tenant, month);
    return false;
  }

  private async onExhausted(
    db: TenantDb,
    tenantId: string,
    tenant: TenantBudget,
    month: string,
  ): Promise<void> {
    if (tenant.budgetExhaustedMonth === month) return;
    const marked = await this.prisma.tenant.updateMany({
      where: { id: tenantId, OR: [{ budgetExhaustedMonth: null }, { budgetExhaustedMonth: { not: month } }] },
      data: { budgetExhaustedMonth: month },
    });
    if (marked.count === 0) return; // another worker got there first
    const reason = `the monthly token budget (${tenant.monthlyTokenBudget} tokens) is used up`;
    const events = new LiveEvents();
    await db.$transaction(async (tx) => {
      const streamsPaused =
        tenant.overBudgetAction === 'PAUSE' ? await this.streams.pauseAllOverBudget(tx, reason, events) : 0;
      await recordAudit(tx, systemActor(tenantId, 'analysis'), {
        action: 'tenant.budget-exhausted',
        entityType: 'Tenant',
        entityId: tenantId,
        data: { month, action: tenant.overBudgetAction, streamsPaused },
      });
    });
    // Consoles following these streams see the pause and its reason.
    await events.publish(this.publisher);
    this.logger.warn(
      { tenantId, month, action: tenant.overBudgetAction },
      'tenant over its monthly token budget',
    );
  }
}
