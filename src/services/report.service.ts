import { pdfThumbnailFrameIds, type FrameImages } from '../reports/report-pdf';
import { createHash, randomUUID } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import canonicalize from 'canonicalize';
import type { TenantDb } from '../db/tenant-scoped-db';
import { badInput, notFound } from '../errors/domain-error';
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
  REPORT_PAGE_SIZE,
  reportTitle,
  UNHASHED_REPORT_FIELDS,
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
  type ReportAnalysesPage,
  type ReportAnalysisCounts,
  type ReportUser,
} from '../reports/report-format';

/** Audit events shown per report (a review item's renewals could otherwise grow without bound). */
export const MAX_REPORT_AUDIT_EVENTS = 1000;

const iso = (date: Date): string => date.toISOString();
const isoOrNull = (date: Date | null): string | null => (date ? date.toISOString() : null);

type HashedBody<T> = Omit<T, (typeof UNHASHED_REPORT_FIELDS)[number]>;

function hashedBodyOf<T extends object>(report: T): HashedBody<T> {
  const body = { ...report } as Record<string, unknown>;
  for (const field of UNHASHED_REPORT_FIELDS) delete body[field];
  return body as HashedBody<T>;
}

/**
 * sha256 (hex) over the canonical JSON (RFC 8785) of a report without contentSha256, generatedAt
 * and analysesPage. An incident report's hash covers every analysis: give it all of them (every
 * page's `analyses`, in order) to check it; a report on one page checks as it is.
 */
export function reportContentSha256(report: object): string {
  return createHash('sha256')
    .update(canonicalize(hashedBodyOf(report)) ?? '', 'utf8')
    .digest('hex');
}

/** Sections hashed between two turns of the event loop (an incident may have thousands). */
const SECTIONS_PER_TURN = 25;

/**
 * The same hash as reportContentSha256 of `{ ...body, analyses }`, fed section by section so a
 * report of thousands of analyses never holds the event loop for long: the canonical JSON of the
 * body around its `analyses` member, with each analysis's canonical JSON streamed in between.
 */
async function incrementalContentSha256(body: object, analyses: readonly ReportAnalysis[]): Promise<string> {
  const placeholder = `analyses-${randomUUID()}`;
  const around = canonicalize({ ...hashedBodyOf(body), analyses: placeholder }) ?? '';
  const marker = JSON.stringify(placeholder);
  const at = around.indexOf(marker);
  const hash = createHash('sha256').update(around.slice(0, at), 'utf8').update('[');
  for (const [index, section] of analyses.entries()) {
    if (index > 0) hash.update(',');
    hash.update(canonicalize(section) ?? 'null', 'utf8');
    if ((index + 1) % SECTIONS_PER_TURN === 0) await yieldToEventLoop();
  }
  return hash
    .update(']')
    .update(around.slice(at + marker.length), 'utf8')
    .digest('hex');
}

/** Rows read per query: thousands of rows parsed at once would hold the event loop for that long. */
const ROWS_PER_QUERY = 50;

/** `read` over `ids` a chunk at a time, one after the other, the rows joined. */
async function inChunks<T>(ids: string[], read: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const rows: T[] = [];
  for (let start = 0; start < ids.length; start += ROWS_PER_QUERY)
    rows.push(...(await read(ids.slice(start, start + ROWS_PER_QUERY))));
  return rows;
}

function countsOf(analyses: readonly ReportAnalysis[]): ReportAnalysisCounts {
  const local = analyses.filter((analysis) => analysis.kind === 'local').length;
  return { total: analyses.length, model: analyses.length - local, local };
}

/** The requested page of `total` analyses; a page past the last is bad input, not an empty answer. */
function pageOf(total: number, page: number | undefined): ReportAnalysesPage {
  const requested = page ?? 1;
  const pages = Math.max(1, Math.ceil(total / REPORT_PAGE_SIZE));
  if (!Number.isInteger(requested) || requested < 1 || requested > pages)
    throw badInput([{ field: 'page', message: `must be a whole number from 1 to ${pages}` }]);
  const first = Math.min(total, (requested - 1) * REPORT_PAGE_SIZE + 1);
  const last = Math.min(total, requested * REPORT_PAGE_SIZE);
  return {
    page: requested,
    pages,
    pageSize: REPORT_PAGE_SIZE,
    total,
    first,
    last,
    nextPage: requested < pages ? requested + 1 : null,
  };
}

/**
 * Reports: everything an auditor needs to reconstruct a decision, as plain JSON (dates as ISO
 * strings): the stream, the incident (with its keyframes) and the rule that fired, every analysis
 * with its window and its frames (with their sha256), the human decision with who made it, and the
 * audit events about the incident and its review item (with their place in the audit chain). An
 * analysis made by a model carries its prompt version, sampling settings and reasoning; one made
 * by the local CPU analyser carries its plain trace instead and no model settings, since no model
 * ran. An incident report carries its analyses a page at a time (REPORT_PAGE_SIZE); its
 * contentSha256 covers all of them (see report-format.ts).
 */
export class ReportService {
  constructor(
    private readonly loadTenant: (tenantId: string) => Promise<Tenant>,
    private readonly frameStore: FrameStore,
  ) {}

  async incidentReport(
    db: TenantDb,
    tenantId: string,
    incidentId: string,
    page?: number,
  ): Promise<IncidentReport> {
    const incident = await db.incident.findUnique({ where: { id: requireId(incidentId, 'incidentId') } });
    if (!incident) throw notFound('Incident');
    const [tenant, stream, analyses, context] = await Promise.all([
      this.tenantOf(tenantId),
      this.streamOf(db, incident.streamId),
      db.incidentFiring
        .findMany({ where: { incidentId: incident.id }, select: { analysisId: true } })
        .then((firings) =>
          inChunks([...new Set(firings.map((firing) => firing.analysisId))], (ids) =>
            db.analysis.findMany({ where: { id: { in: ids } } }),
          ),
        )
        // In the order the windows were analysed: the evidence appendix reads as the event went.
        .then((rows) =>
          rows.sort((x, y) => x.startedAt.getTime() - y.startedAt.getTime() || (x.id < y.id ? -1 : 1)),
        ),
      this.incidentContexts(db, [incident]),
    ]);
    const sections = await this.analysisSections(db, analyses);
    const analysesPage = pageOf(sections.length, page);
    const analysisCounts = countsOf(sections);
    const body: Omit<IncidentReport, (typeof UNHASHED_REPORT_FIELDS)[number] | 'analyses'> = {
      format: REPORT_FORMAT,
      kind: 'incident',
      title: reportTitle('incident', analysisCounts),
      tenant,
      stream,
      analysisCounts,
      ...context[0]!,
    };
    return {
      ...body,
      generatedAt: iso(new Date()),
      analyses: sections.slice((analysesPage.page - 1) * REPORT_PAGE_SIZE, analysesPage.last),
      analysesPage,
      contentSha256: await incrementalContentSha256(body, sections),
    };
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
    const analysisCounts = countsOf(sections);
    const body: Omit<AnalysisReport, (typeof UNHASHED_REPORT_FIELDS)[number]> = {
      format: REPORT_FORMAT,
      kind: 'analysis',
      title: reportTitle('analysis', analysisCounts),
      tenant,
      stream,
      analysisCounts,
      analysis: sections[0]!,
      incidents: contexts,
    };
    return { ...body, generatedAt: iso(new Date()), contentSha256: reportContentSha256(body) };
  }

  /**
   * The JPEGs of the frames a report's PDF shows as thumbnails (pdfThumbnailFrameIds: its incidents'
   * keyframes, then its analyses' frames, up to a cap), read from the frame store.
   */
  async frameImages(db: TenantDb, report: Report): Promise<FrameImages> {
    const ids = pdfThumbnailFrameIds(report);
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
      inChunks(windowIds, (ids) => db.window.findMany({ where: { id: { in: ids } } })),
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
    const sections: ReportAnalysis[] = [];
    for (const analysis of analyses) {
      sections.push(
        analysisSection(
          analysis,
          windowById.get(analysis.windowId) ?? null,
          frameById,
          versionById.get(analysis.templateVersionId) ?? null,
          templateName,
        ),
      );
      if (sections.length % SECTIONS_PER_TURN === 0) await yieldToEventLoop();
    }
    return sections;
  }

  private async incidentContexts(db: TenantDb, incidents: Incident[]): Promise<ReportIncidentContext[]> {
    if (incidents.length === 0) return [];
    const incidentIds = incidents.map((incident) => incident.id);
    const [rules, items, keyframes] = await Promise.all([
      db.rule.findMany({ where: { id: { in: [...new Set(incidents.map((incident) => incident.ruleId))] } } }),
      db.reviewItem.findMany({ where: { incidentId: { in: incidentIds } } }),
      db.frame.findMany({
        where: { id: { in: [...new Set(incidents.flatMap((incident) => incident.keyframeIds))] } },
      }),
    ]);
    const keyframeById = new Map(keyframes.map((frame) => [frame.id, frame]));
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
        incident: incidentSection(incident, keyframeById),
        rule: ruleSection(ruleById.get(incident.ruleId) ?? null),
        reviewItem: item ? reviewSection(item, emailOf) : null,
        auditEvents: events.filter(about).map((event) => auditSection(event, emailOf, keyNameOf)),
      };
    });
  }
}

function incidentSection(incident: Incident, frameById: Map<string, Frame>): ReportIncident {
  return {
    id: incident.id,
    status: incident.status,
    severity: incident.severity,
    confidence: incident.confidence,
    summary: incident.summary,
    startAt: iso(incident.startAt),
    endAt: iso(incident.endAt),
    firings: incident.firings,
    closedAt: isoOrNull(incident.closedAt),
    closeReason: incident.closeReason,
    keyframes: incident.keyframeIds
      .map((id) => frameById.get(id))
      .filter((frame): frame is Frame => frame !== undefined)
      .sort((a, b) => a.sequence - b.sequence)
      .map(frameSection),
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
  // The local analyser's rows name the template version too (its gate and scene settings), but
  // no model read its prompt nor was sampled with its settings: only a model's rows carry them.
  const local = analysis.mode === 'LOCAL';
  return {
    id: analysis.id,
    kind: local ? 'local' : 'model',
    status: analysis.status,
    mode: analysis.mode,
    model: local ? null : analysis.model,
    nodeName: local ? null : analysis.nodeName,
    startedAt: iso(analysis.startedAt),
    completedAt: isoOrNull(analysis.completedAt),
    latencyMs: analysis.latencyMs,
    finishReason: local ? null : analysis.finishReason,
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
    template: version
      ? {
          id: version.id,
          version: version.version,
          templateId: version.templateId,
          templateName: templateName.get(version.templateId) ?? null,
        }
      : null,
    promptVersion:
      version && !local
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
    sampling:
      version && !local
        ? {
            temperature: version.temperature,
            topP: version.topP,
            topK: version.topK,
            presencePenalty: version.presencePenalty,
            maxCompletionTokens: version.maxCompletionTokens,
            thinkingTokenBudget: version.thinkingTokenBudget,
          }
        : null,
    reasoning: local ? '' : analysis.reasoning,
    local: local
      ? {
          analyser: analysis.model ?? 'local analyser',
          // GATED and DEGRADED rows keep the gate's or the fallback's note in `error`.
          note: analysis.status === 'GATED' || analysis.status === 'DEGRADED' ? analysis.error : null,
          trace: traceOf(analysis.result),
        }
      : null,
    result: analysis.result,
  };
}

/** The local analyser's plain trace from its result (absent from results made before it had one). */
function traceOf(result: unknown): string[] {
  const trace = (result as { trace?: unknown } | null)?.trace;
  return Array.isArray(trace) ? trace.filter((line): line is string => typeof line === 'string') : [];
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
