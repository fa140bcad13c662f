import { type AuditActor, recordAudit, ruleActor, systemActor } from '../audit/audit-log';
import type { TenantDb, TenantTx } from '../db/tenant-scoped-db';
import type { Incident } from '../generated/prisma/client';
import type { WebhookEventSink } from '../webhooks/webhook-events';
import { maxSeverity, stitchesInto } from './incident-stitching';
import { nextKeyframes } from './incident-keyframes';

/*
 * The owner of incidents: a rule's firings on a stream, stitched into one incident while they
 * continue, and closed when its rule stays quiet for its cooldown, when a person decides, or when
 * a different event of its rule begins. Every incident write in Vigil is here, each in the
 * caller's transaction with its audit event; partners hear of openings and closings through
 * webhooks once the transaction has committed (`announce`).
 */

/** One firing of a rule on one finished analysis of a stream. */
export interface RuleFiring {
  tenantId: string;
  streamId: string;
  rule: { id: string; name: string; cooldownSeconds: number };
  analysisId: string;
  window: { id: string; startAt: Date; endAt: Date; frameIds: string[] };
  severity: string | null;
  confidence: number | undefined;
  /** The incident's description of this firing. */
  summary: string;
  /** Whether the result said something of its own (then the summary replaces the incident's). */
  resultHasSummary: boolean;
}

/** Why an incident ended. */
export type CloseReason = 'quiet' | 'decided' | 'superseded';

/** Incident changes made in a transaction, for partners once it has committed. */
export interface IncidentChanges {
  opened: Incident[];
  closed: Incident[];
}

export const noIncidentChanges = (): IncidentChanges => ({ opened: [], closed: [] });

/** What is said of an incident to partners (its webhook events' data). */
export function incidentPayload(incident: Incident, ruleName: string | null): Record<string, unknown> {
  return {
    incidentId: incident.id,
    ruleId: incident.ruleId,
    ruleName,
    streamId: incident.streamId,
    status: incident.status,
    startAt: incident.startAt.toISOString(),
    endAt: incident.endAt.toISOString(),
    firings: incident.firings,
    severity: incident.severity,
    confidence: incident.confidence,
    summary: incident.summary,
    closedAt: incident.closedAt?.toISOString() ?? null,
    closeReason: incident.closeReason,
  };
}

export class Incidents {
  constructor(
    /** Partners' webhooks; null where nothing opens or closes incidents. */
    private readonly sendWebhook: WebhookEventSink | null,
  ) {}

  /**
   * Records a firing: stitched into the rule's open incident on the stream when it continues it,
   * otherwise that one is closed (superseded) and a new incident opens. Null when this analysis
   * already fired this rule (a retried job). Firings of one rule on one stream take turns (a
   * transaction lock), so two windows finishing together cannot open two incidents.
   */
  async recordFiring(
    tx: TenantTx,
    firing: RuleFiring,
    changes: IncidentChanges,
  ): Promise<{ incident: Incident; opened: boolean } | null> {
    const { streamId, rule, analysisId, window } = firing;
    await lockRuleOnStream(tx, streamId, rule.id);
    const done = await tx.incidentFiring.findUnique({
      where: { tenantId_ruleId_analysisId: { tenantId: firing.tenantId, ruleId: rule.id, analysisId } },
      select: { id: true },
    });
    if (done) return null;
    const actor = ruleActor(firing.tenantId, rule.id);
    const open = await tx.incident.findFirst({
      where: { streamId, ruleId: rule.id, status: 'OPEN' },
      orderBy: { lastFiredAt: 'desc' },
    });
    let incident: Incident;
    let opened = false;
    if (open && stitchesInto(open, window, rule.cooldownSeconds)) {
      incident = await tx.incident.update({
        where: { id: open.id },
        data: {
          endAt: window.endAt > open.endAt ? window.endAt : open.endAt,
          lastFiredAt: window.endAt > open.lastFiredAt ? window.endAt : open.lastFiredAt,
          keyframeIds: nextKeyframes(open.keyframeIds, open.firings + 1, window.frameIds),
          firings: { increment: 1 },
          severity: maxSeverity(open.severity, firing.severity),
          confidence: maxOf(open.confidence, firing.confidence),
          ...(firing.resultHasSummary ? { summary: firing.summary } : {}),
        },
      });
    } else {
      if (open) changes.closed.push(await this.close(tx, open, 'superseded', actor));
      incident = await tx.incident.create({
        data: {
          tenantId: firing.tenantId,
          streamId,
          ruleId: rule.id,
          startAt: window.startAt,
          endAt: window.endAt,
          lastFiredAt: window.endAt,
          keyframeIds: nextKeyframes([], 1, window.frameIds),
          severity: firing.severity,
          confidence: firing.confidence ?? null,
          summary: firing.summary,
        },
      });
      opened = true;
      changes.opened.push(incident);
      await recordAudit(tx, actor, {
        action: 'incident.opened',
        entityType: 'Incident',
        entityId: incident.id,
        data: { ruleId: rule.id, streamId, windowId: window.id, analysisId, severity: firing.severity },
      });
    }
    await tx.incidentFiring.create({
      data: {
        tenantId: firing.tenantId,
        incidentId: incident.id,
        ruleId: rule.id,
        analysisId,
        windowId: window.id,
        startAt: window.startAt,
        endAt: window.endAt,
        severity: firing.severity,
        confidence: firing.confidence ?? null,
      },
    });
    await recordAudit(tx, actor, {
      action: 'rule.fired',
      entityType: 'Incident',
      entityId: incident.id,
      data: {
        ruleId: rule.id,
        windowId: window.id,
        analysisId,
        firing: incident.firings,
        severity: firing.severity,
        confidence: firing.confidence ?? null,
      },
    });
    return { incident, opened };
  }

  /** Ends an incident because a person decided its review item (no-op when already closed). */
  async closeForDecision(tx: TenantTx, incidentId: string, actor: AuditActor): Promise<Incident | null> {
    const incident = await tx.incident.findUnique({ where: { id: incidentId } });
    if (!incident || incident.status !== 'OPEN') return null;
    return this.close(tx, incident, 'decided', actor);
  }

  /** Opens an incident again: its automatic dismissal was reopened for a person to decide. */
  async reopen(tx: TenantTx, incidentId: string, actor: AuditActor): Promise<void> {
    const reopened = await tx.incident.updateMany({
      where: { id: incidentId, status: 'CLOSED' },
      data: { status: 'OPEN', closedAt: null, closeReason: null },
    });
    if (reopened.count === 0) return;
    await recordAudit(tx, actor, {
      action: 'incident.reopened',
      entityType: 'Incident',
      entityId: incidentId,
    });
  }

  /**
   * Closes the tenant's open incidents whose rule has not fired for its cooldown by `now` (at most
   * `limit` per call), each in its own transaction with its audit event, and tells partners.
   * A later firing of the rule opens a new incident.
   */
  async closeQuiet(db: TenantDb, tenantId: string, now: Date, limit: number): Promise<number> {
    const open = await db.incident.findMany({
      where: { status: 'OPEN' },
      select: {
        id: true,
        streamId: true,
        ruleId: true,
        lastFiredAt: true,
        rule: { select: { cooldownSeconds: true } },
      },
      orderBy: { lastFiredAt: 'asc' },
      take: limit,
    });
    const quiet = open.filter(
      (incident) => incident.lastFiredAt.getTime() + incident.rule.cooldownSeconds * 1000 < now.getTime(),
    );
    const actor = systemActor(tenantId, 'incident-closer');
    let closed = 0;
    for (const seen of quiet) {
      const changes = noIncidentChanges();
      await db.$transaction(async (tx) => {
        // Under the rule's lock: a firing committing now either stitched first (the incident fired
        // again, so it is not quiet) or opens a new incident after this one closed.
        await lockRuleOnStream(tx, seen.streamId, seen.ruleId);
        const current = await tx.incident.findUnique({ where: { id: seen.id } });
        if (
          !current ||
          current.status !== 'OPEN' ||
          current.lastFiredAt.getTime() !== seen.lastFiredAt.getTime()
        )
          return;
        changes.closed.push(await this.close(tx, current, 'quiet', actor, now));
      });
      closed += changes.closed.length;
      await this.announce(db, tenantId, changes);
    }
    return closed;
  }

  /** After commit: partners subscribed to incident.opened / incident.closed hear of each change. */
  async announce(db: TenantDb, tenantId: string, changes: IncidentChanges): Promise<void> {
    if (!this.sendWebhook || (changes.opened.length === 0 && changes.closed.length === 0)) return;
    const ruleIds = [...new Set([...changes.opened, ...changes.closed].map((incident) => incident.ruleId))];
    const rules = await db.rule.findMany({
      where: { id: { in: ruleIds } },
      select: { id: true, name: true },
    });
    const nameOf = new Map(rules.map((rule) => [rule.id, rule.name]));
    for (const incident of changes.opened) {
      const payload = incidentPayload(incident, nameOf.get(incident.ruleId) ?? null);
      await this.sendWebhook(tenantId, 'incident.opened', `incident.opened:${incident.id}`, payload);
    }
    for (const incident of changes.closed) {
      const payload = incidentPayload(incident, nameOf.get(incident.ruleId) ?? null);
      await this.sendWebhook(
        tenantId,
        'incident.closed',
        `incident.closed:${incident.id}:${incident.closedAt?.getTime() ?? 0}`,
        payload,
      );
    }
  }

  private async close(
    tx: TenantTx,
    incident: Incident,
    reason: CloseReason,
    actor: AuditActor,
    at = new Date(),
  ): Promise<Incident> {
    const closed = await tx.incident.update({
      where: { id: incident.id },
      data: { status: 'CLOSED', closedAt: at, closeReason: reason },
    });
    await recordAudit(tx, actor, {
      action: 'incident.closed',
      entityType: 'Incident',
      entityId: incident.id,
      data: { reason, firings: closed.firings, lastFiredAt: closed.lastFiredAt.toISOString() },
    });
    return closed;
  }
}

/** Firings and closings of one rule's incidents on one stream take turns, until the transaction ends. */
async function lockRuleOnStream(tx: TenantTx, streamId: string, ruleId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`rules:${streamId}:${ruleId}`}, 0))`;
}

function maxOf(a: number | null, b: number | undefined): number | null {
  if (b === undefined) return a;
  return a === null ? b : Math.max(a, b);
}

/**
 * Retention deletes a closed incident of an archived stream, with its firings and alerts, audited
 * as `incident.purged` by `actor` (the retention job) in the caller's transaction. False, deleting
 * nothing, when the incident is no longer closed (reopened meanwhile). The caller deletes its clip
 * file first and its decided review item in the same transaction (review-items.ts).
 */
export async function purgeClosedIncident(
  tx: TenantTx,
  actor: AuditActor,
  incidentId: string,
): Promise<boolean> {
  const incident = await tx.incident.findFirst({ where: { id: incidentId, status: 'CLOSED' } });
  if (!incident) return false;
  const alerts = await tx.alert.count({ where: { incidentId } });
  const { count } = await tx.incident.deleteMany({ where: { id: incidentId, status: 'CLOSED' } });
  if (count === 0) return false;
  await recordAudit(tx, actor, {
    action: 'incident.purged',
    entityType: 'Incident',
    entityId: incidentId,
    data: {
      streamId: incident.streamId,
      ruleId: incident.ruleId,
      startAt: incident.startAt.toISOString(),
      endAt: incident.endAt.toISOString(),
      firings: incident.firings,
      alerts,
      clipSha256: incident.clipSha256,
    },
  });
  return true;
}
