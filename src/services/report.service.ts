import type { FrameImages } from '../reports/report-pdf';
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { TenantDb } from '../db/tenant-scoped-db';
import { notFound } from '../errors/domain-error';
import type {
  Analysis,
  AuditEvent,
  Frame,
  Incident,
  PromptTemplateVersion,
  ReviewItem,
  Rule,
  Tenant,
  Window,
} from '../generated/prisma/client';
import { redactSourceUrl } from '../media/source-url';
import type { FrameStore } from '../storage/frame-store';
import { requireId } from './input-schemas';
import {
  REPORT_FORMAT,
  type AnalysisReport,
  type IncidentReport,
  type Report,
  type ReportAnalysis,
  type ReportAuditEntry,
  type ReportFrame,
  type ReportIncidentContext,
  type ReportReviewItem,
  type ReportRule,
  type ReportStream,
  type ReportTenant,
  type ReportIncident,
  type ReportUser,
} from '../reports/report-format';

/** Audit events shown per report (a review item's renewals could otherwise grow without bound). */
export const MAX_REPORT_AUDIT_EVENTS = 1000;

const iso = (date: Date): string => date.toISOString();
const isoOrNull = (date: Date | null): string | null => (date ? date.toISOString() : null);

/** sha256 (hex) over the canonical JSON of the report without its contentSha256. */
export function reportContentSha256(report: Omit<Report, 'contentSha256'> | Report): string {
  const { contentSha256: _ignored, ...body } = report as Report;
  return createHash('sha256')
    .update(canonicalize(body) ?? '', 'utf8')
    .digest('hex');
}

function sealed<T extends Omit<Report, 'contentSha256'>>(body: T): T & { contentSha256: string } {
  return { ...body, contentSha256: reportContentSha256(body) };
}

/**
 * Chain-of-thought reports: everything an auditor needs to reconstruct a decision, as plain JSON
 * (dates as ISO strings): the stream, the incident and the rule that fired, every analysis with its
 * window, its frames (with their sha256), the full prompt template version with the model and
 * sampling settings, the model's reasoning and structured result, the human decision with who made it,
 * and the audit events about the incident and its review item (with their place in the audit chain).
 * `contentSha256` is sha256 (hex) over the RFC 8785 canonical JSON of the report without that field.
 */
export class ReportService {
  constructor(
    private readonly loadTenant: (tenantId: string) => Promise<Tenant>,
    private readonly frameStore: FrameStore,
  ) {}

  async incidentReport(db: TenantDb, tenantId: string, incidentId: string): Promise<IncidentReport> {
    const incident = await db.incident.findUnique({ where: { id: requireId(incidentId, 'incidentId') } });
    if (!incident) throw notFound('Incident');
    const [tenant, stream, analyses, context] = await Promise.all([
      this.tenantOf(tenantId),
      this.streamOf(db, incident.streamId),
      db.incidentFiring
        .findMany({ where: { incidentId: incident.id }, select: { analysisId: true } })
        .then((firings) =>
          db.analysis.findMany({
            where: { id: { in: firings.map((firing) => firing.analysisId) } },
            orderBy: { id: 'asc' },
          }),
        ),
      this.incidentContexts(db, [incident]),
    ]);
    return sealed({
      format: REPORT_FORMAT,
      kind: 'incident' as const,
      generatedAt: iso(new Date()),
      tenant,
      stream,
      ...context[0]!,
      analyses: await this.analysisSections(db, analyses),
    });
  }

  async analysisReport(db: TenantDb, tenantId: string, analysisId: string): Promise<AnalysisReport> {
    const analysis = await db.analysis.findUnique({ where: { id: requireId(analysisId, 'analysisId') } });
    if (!analysis) throw notFound('Analysis');
    const incidents = await db.incident.findMany({
      where: { firingsList: { some: { analysisId: analysis.id } } },
      orderBy: { id: 'asc' },
    });
    const [tenant, stream, sections, contexts] = await Promise.all([
      this.tenantOf(tenantId),
      this.streamOf(db, analysis.streamId),
      this.analysisSections(db, [analysis]),
      this.incidentContexts(db, incidents),
    ]);
    return sealed({
      format: REPORT_FORMAT,
      kind: 'analysis' as const,
      generatedAt: iso(new Date()),
      tenant,
      stream,
      analysis: sections[0]!,
      incidents: contexts,
    });
  }

  /** The JPEGs of a report's frames, read from the frame store (for the PDF's thumbnails). */
  async frameImages(db: TenantDb, report: Report): Promise<FrameImages> {
    const sections = report.kind === 'incident' ? report.analyses : [report.analysis];
    const ids = [...new Set(sections.flatMap((section) => section.frames.map((frame) => frame.id)))];
    const rows = await db.frame.findMany({
      where: { id: { in: ids } },
      select: { id: true, storageKey: true },
    });
    const images: FrameImages = new Map();
    // A few at a time: an S3 store answers each in its own request.
    for (let start = 0; start < rows.length; start += 8) {
      await Promise.all(
        rows.slice(start, start + 8).map(async (row) => {
          images.set(row.id, await this.frameStore.get(row.storageKey).catch(() => null));
        }),
      );
    }
    return images;
  }

  private async tenantOf(tenantId: string): Promise<ReportTenant> {
    const tenant = await this.loadTenant(tenantId);
    return { id: tenant.id, slug: tenant.slug, name: tenant.name };
  }

  private async streamOf(db: TenantDb, streamId: string): Promise<ReportStream | null> {
    const stream = await db.stream.findUnique({ where: { id: streamId } });
    return stream
      ? { id: stream.id, name: stream.name, kind: stream.kind, sourceUrl: redactSourceUrl(stream.sourceUrl) }
      : null;
  }

  /** Analyses with their windows, frames and prompt versions, read in one query per kind of row. */
  private async analysisSections(db: TenantDb, analyses: Analysis[]): Promise<ReportAnalysis[]> {
    const windowIds = [...new Set(analyses.map((analysis) => analysis.windowId))];
    const versionIds = [...new Set(analyses.map((analysis) => analysis.templateVersionId))];
    const [windows, versions] = await Promise.all([
      db.window.findMany({ where: { id: { in: windowIds } } }),
      db.promptTemplateVersion.findMany({ where: { id: { in: versionIds } } }),
    ]);
    const frameIds = [...new Set(windows.flatMap((window) => window.frameIds))];
    const templateIds = [...new Set(versions.map((version) => version.templateId))];
    const [frames, templates] = await Promise.all([
      db.frame.findMany({ where: { id: { in: frameIds } }, orderBy: { sequence: 'asc' } }),
      db.promptTemplate.findMany({ where: { id: { in: templateIds } }, select: { id: true, name: true } }),
    ]);
    const windowById = new Map(windows.map((window) => [window.id, window]));
    const versionById = new Map(versions.map((version) => [version.id, version]));
    const frameById = new Map(frames.map((frame) => [frame.id, frame]));
    const templateName = new Map(templates.map((template) => [template.id, template.name]));
    return analyses.map((analysis) =>
      analysisSection(
        analysis,
        windowById.get(analysis.windowId) ?? null,
        frameById,
        versionById.get(analysis.templateVersionId) ?? null,
        templateName,
      ),
    );
  }

  private async incidentContexts(db: TenantDb, incidents: Incident[]): Promise<ReportIncidentContext[]> {
    if (incidents.length === 0) return [];
    const incidentIds = incidents.map((incident) => incident.id);
    const [rules, items] = await Promise.all([
      db.rule.findMany({ where: { id: { in: [...new Set(incidents.map((incident) => incident.ruleId))] } } }),
      db.reviewItem.findMany({ where: { incidentId: { in: incidentIds } } }),
    ]);
    const events = await db.auditEvent.findMany({
      where: {
        OR: [
          { entityType: 'Incident', entityId: { in: incidentIds } },
          ...(items.length
            ? [{ entityType: 'ReviewItem', entityId: { in: items.map((item) => item.id) } }]
            : []),
        ],
      },
      orderBy: [{ chainIndex: 'asc' }, { id: 'asc' }],
      take: MAX_REPORT_AUDIT_EVENTS,
    });
    const userIds = new Set<string>();
    for (const item of items) {
      if (item.decidedById) userIds.add(item.decidedById);
      if (item.assigneeId) userIds.add(item.assigneeId);
    }
    const apiKeyIds = new Set<string>();
    for (const event of events) {
      if (event.actorType === 'user' && event.actorId) userIds.add(event.actorId);
      if (event.actorType === 'apiKey' && event.actorId) apiKeyIds.add(event.actorId);
    }
    const [users, apiKeys] = await Promise.all([
      db.user.findMany({ where: { id: { in: [...userIds] } }, select: { id: true, email: true } }),
      db.apiKey.findMany({ where: { id: { in: [...apiKeyIds] } }, select: { id: true, name: true } }),
    ]);
    const emailOf = new Map(users.map((user) => [user.id, user.email]));
    const keyNameOf = new Map(apiKeys.map((key) => [key.id, key.name]));
    const ruleById = new Map(rules.map((rule) => [rule.id, rule]));
    return incidents.map((incident) => {
      const item = items.find((candidate) => candidate.incidentId === incident.id) ?? null;
      const about = (event: AuditEvent) =>
        (event.entityType === 'Incident' && event.entityId === incident.id) ||
        (item !== null && event.entityType === 'ReviewItem' && event.entityId === item.id);
      return {
        incident: incidentSection(incident),
        rule: ruleSection(ruleById.get(incident.ruleId) ?? null),
        reviewItem: item ? reviewSection(item, emailOf) : null,
        auditEvents: events.filter(about).map((event) => auditSection(event, emailOf, keyNameOf)),
      };
    });
  }
}

function incidentSection(incident: Incident): ReportIncident {
  return {
    id: incident.id,
    status: incident.status,
    severity: incident.severity,
    confidence: incident.confidence,
    summary: incident.summary,
    startAt: iso(incident.startAt),
    endAt: iso(incident.endAt),
    firings: incident.firings,
    createdAt: iso(incident.createdAt),
  };
}

function ruleSection(rule: Rule | null): ReportRule | null {
  if (!rule) return null;
  return {
    id: rule.id,
    name: rule.name,
    enabled: rule.enabled,
    condition: rule.condition,
    action: rule.action,
    cooldownSeconds: rule.cooldownSeconds,
    priority: rule.priority,
    updatedAt: iso(rule.updatedAt),
  };
}

function frameSection(frame: Frame): ReportFrame {
  return {
    id: frame.id,
    sequence: frame.sequence,
    capturedAt: iso(frame.capturedAt),
    sha256: frame.sha256,
    width: frame.width,
    height: frame.height,
    skippedBefore: frame.skippedBefore,
  };
}

function analysisSection(
  analysis: Analysis,
  window: Window | null,
  frameById: Map<string, Frame>,
  version: PromptTemplateVersion | null,
  templateName: Map<string, string>,
): ReportAnalysis {
  const frames = (window?.frameIds ?? [])
    .map((id) => frameById.get(id))
    .filter((frame): frame is Frame => frame !== undefined)
    .sort((a, b) => a.sequence - b.sequence);
  return {
    id: analysis.id,
    status: analysis.status,
    mode: analysis.mode,
    model: analysis.model,
    nodeName: analysis.nodeName,
    startedAt: iso(analysis.startedAt),
    completedAt: isoOrNull(analysis.completedAt),
    latencyMs: analysis.latencyMs,
    finishReason: analysis.finishReason,
    attempts: analysis.attempts,
    error: analysis.error,
    framesSent: analysis.framesSent,
    tokens: {
      prompt: analysis.promptTokens,
      completion: analysis.completionTokens,
      reasoning: analysis.reasoningTokens,
      vision: analysis.visionTokens,
    },
    window: window
      ? { id: window.id, index: window.index, startAt: iso(window.startAt), endAt: iso(window.endAt) }
      : null,
    frames: frames.map(frameSection),
    missingFrameIds: (window?.frameIds ?? []).filter((id) => !frameById.has(id)),
    promptVersion: version
      ? {
          id: version.id,
          version: version.version,
          templateId: version.templateId,
          templateName: templateName.get(version.templateId) ?? null,
          systemText: version.systemText,
          instructionText: version.instructionText,
          resultSchema: version.resultSchema,
          modelName: version.modelName,
          mode: version.mode,
        }
      : null,
    sampling: version
      ? {
          temperature: version.temperature,
          topP: version.topP,
          topK: version.topK,
          presencePenalty: version.presencePenalty,
          maxCompletionTokens: version.maxCompletionTokens,
          thinkingTokenBudget: version.thinkingTokenBudget,
        }
      : null,
    reasoning: analysis.reasoning,
    result: analysis.result,
  };
}

function userSection(id: string | null, emailOf: Map<string, string>): ReportUser | null {
  return id ? { id, email: emailOf.get(id) ?? null } : null;
}

function reviewSection(item: ReviewItem, emailOf: Map<string, string>): ReportReviewItem {
  return {
    id: item.id,
    queue: item.queue,
    status: item.status,
    priority: item.priority,
    decision: item.decision,
    reason: item.reason,
    notes: item.notes,
    decidedAt: isoOrNull(item.decidedAt),
    decidedBy: userSection(item.decidedById, emailOf),
    assignee: userSection(item.assigneeId, emailOf),
    escalatedAt: isoOrNull(item.escalatedAt),
    createdAt: iso(item.createdAt),
  };
}

function auditSection(
  event: AuditEvent,
  emailOf: Map<string, string>,
  keyNameOf: Map<string, string>,
): ReportAuditEntry {
  return {
    id: event.id,
    chainIndex: event.chainIndex,
    hash: event.hash,
    createdAt: iso(event.createdAt),
    action: event.action,
    entityType: event.entityType,
    entityId: event.entityId,
    actor: {
      type: event.actorType,
      id: event.actorId,
      email: event.actorType === 'user' && event.actorId ? (emailOf.get(event.actorId) ?? null) : null,
      apiKeyName:
        event.actorType === 'apiKey' && event.actorId ? (keyNameOf.get(event.actorId) ?? null) : null,
    },
    data: event.data,
  };
}
