import type { PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';
import { Incidents } from '../incidents/incidents';
import type { JobHandler } from '../jobs/job-queue';
import type { WebhookEventSink } from '../webhooks/webhook-events';

/** Incidents closed per tenant in one run; the rest wait for the next run. */
const BATCH = 500;

/**
 * Incidents end when their rule stays quiet: run every few seconds by the maintenance queue, it
 * closes each open incident whose rule has not fired for its cooldown (audited as this job's, with
 * incident.closed sent to partners). The next firing of the rule opens a new incident.
 */
export async function closeQuietIncidents(
  prisma: PrismaClient,
  webhooks: WebhookEventSink | null,
  now = new Date(),
): Promise<{ closed: number }> {
  const incidents = new Incidents(webhooks);
  let closed = 0;
  const tenants = await prisma.incident.groupBy({ by: ['tenantId'], where: { status: 'OPEN' } });
  for (const { tenantId } of tenants) {
    closed += await incidents.closeQuiet(tenantDb(prisma, tenantId), tenantId, now, BATCH);
  }
  return { closed };
}

export function closeQuietIncidentsHandler(
  prisma: PrismaClient,
  webhooks: WebhookEventSink | null,
): JobHandler<'closeQuietIncidents'> {
  return { run: () => closeQuietIncidents(prisma, webhooks) };
}
