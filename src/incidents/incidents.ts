import type { TenantTx } from '../db/tenant-scoped-db';
import type { Incident } from '../generated/prisma/client';
import { maxSeverity, stitchesInto } from './incident-stitching';

/*
 * The owner of incidents: a rule's firings on a stream, stitched into one incident while they
 * continue, and closed when a person decides or a different event begins. Every incident write
 * in Vigil is one of these functions, each in the caller's transaction.
 */

/** One firing of a rule on one finished analysis of a stream. */
export interface RuleFiring {
  tenantId: string;
  streamId: string;
  rule: { id: string; cooldownSeconds: number };
  analysisId: string;
  window: { id: string; startAt: Date; endAt: Date; frameIds: string[] };
  severity: string | null;
  confidence: number | undefined;
  /** The incident's description of this firing. */
  summary: string;
  /** Whether the result said something of its own (then the summary replaces the incident's). */
  resultHasSummary: boolean;
}

/**
 * Records a firing: stitched into the rule's open incident on the stream when it continues it,
 * otherwise that one is closed and a new incident opens. Null when this analysis already fired
 * this rule (a retried job). Firings of one rule on one stream take turns (a transaction lock), so
 * two windows finishing together cannot open two incidents.
 */
export async function recordFiring(
  tx: TenantTx,
  firing: RuleFiring,
): Promise<{ incident: Incident; opened: boolean } | null> {
  const { streamId, rule, analysisId, window } = firing;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`rules:${streamId}:${rule.id}`}, 0))`;
  const done = await tx.incident.findFirst({
    where: { streamId, ruleId: rule.id, analysisIds: { has: analysisId } },
    select: { id: true },
  });
  if (done) return null;
  const open = await tx.incident.findFirst({
    where: { streamId, ruleId: rule.id, status: 'OPEN' },
    orderBy: { lastFiredAt: 'desc' },
  });
  if (open && stitchesInto(open, window, rule.cooldownSeconds)) {
    const incident = await tx.incident.update({
      where: { id: open.id },
      data: {
        endAt: window.endAt > open.endAt ? window.endAt : open.endAt,
        lastFiredAt: window.endAt > open.lastFiredAt ? window.endAt : open.lastFiredAt,
        windowIds: union(open.windowIds, [window.id]),
        analysisIds: union(open.analysisIds, [analysisId]),
        frameIds: union(open.frameIds, window.frameIds),
        firings: { increment: 1 },
        severity: maxSeverity(open.severity, firing.severity),
        confidence: maxOf(open.confidence, firing.confidence),
        ...(firing.resultHasSummary ? { summary: firing.summary } : {}),
      },
    });
    return { incident, opened: false };
  }
  if (open) await closeIncident(tx, open.id);
  const incident = await tx.incident.create({
    data: {
      tenantId: firing.tenantId,
      streamId,
      ruleId: rule.id,
      startAt: window.startAt,
      endAt: window.endAt,
      lastFiredAt: window.endAt,
      windowIds: [window.id],
      analysisIds: [analysisId],
      frameIds: window.frameIds,
      severity: firing.severity,
      confidence: firing.confidence ?? null,
      summary: firing.summary,
    },
  });
  return { incident, opened: true };
}

/** Ends an incident: a person decided its review item, or a new event of its rule began. */
export async function closeIncident(tx: TenantTx, incidentId: string): Promise<void> {
  await tx.incident.updateMany({ where: { id: incidentId }, data: { status: 'CLOSED' } });
}

/** Opens an incident again: its automatic dismissal was reopened for a person to decide. */
export async function reopenIncident(tx: TenantTx, incidentId: string): Promise<void> {
  await tx.incident.updateMany({ where: { id: incidentId }, data: { status: 'OPEN' } });
}

function union(existing: string[], added: string[]): string[] {
  const set = new Set(existing);
  for (const id of added) set.add(id);
  return [...set];
}

function maxOf(a: number | null, b: number | undefined): number | null {
  if (b === undefined) return a;
  return a === null ? b : Math.max(a, b);
}
