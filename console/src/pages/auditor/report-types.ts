/**
 * The chain-of-thought report as `incidentReport` / `analysisReport` return it (JSONObject):
 * the console's copy of the shape built by src/services/report.service.ts (format vigil.report.v1).
 * Dates are ISO strings. The GraphQL scalar is untyped, so `asReport` checks the few keys the
 * page relies on before trusting the rest.
 */
export interface ReportFrame {
  id: string;
  sequence: number;
  capturedAt: string;
  sha256: string;
  width: number;
  height: number;
  skippedBefore: number;
}

export interface ReportPromptVersion {
  id: string;
  version: number;
  templateId: string;
  templateName: string | null;
  systemText: string;
  instructionText: string;
  resultSchema: unknown;
  modelName: string;
  mode: string;
}

export interface ReportSampling {
  temperature: number;
  topP: number;
  topK: number;
  presencePenalty: number;
  maxCompletionTokens: number;
  thinkingTokenBudget: number;
}

export interface ReportAnalysis {
  id: string;
  status: string;
  mode: string;
  model: string | null;
  nodeName: string | null;
  startedAt: string;
  completedAt: string | null;
  latencyMs: number;
  finishReason: string | null;
  attempts: number;
  error: string | null;
  framesSent: number;
  tokens: { prompt: number; completion: number; reasoning: number; vision: number };
  window: { id: string; index: number; startAt: string; endAt: string } | null;
  frames: ReportFrame[];
  missingFrameIds: string[];
  promptVersion: ReportPromptVersion | null;
  sampling: ReportSampling | null;
  reasoning: string;
  result: unknown;
}

export interface ReportUser {
  id: string;
  email: string | null;
}

export interface ReportIncident {
  id: string;
  status: string;
  severity: string | null;
  confidence: number | null;
  summary: string;
  startAt: string;
  endAt: string;
  firings: number;
  createdAt: string;
}

export interface ReportRule {
  id: string;
  name: string;
  enabled: boolean;
  condition: unknown;
  action: unknown;
  cooldownSeconds: number;
  priority: number;
  updatedAt: string;
}

export interface ReportReviewItem {
  id: string;
  queue: string;
  status: string;
  priority: number;
  decision: string | null;
  reason: string | null;
  notes: string | null;
  decidedAt: string | null;
  decidedBy: ReportUser | null;
  assignee: ReportUser | null;
  escalatedAt: string | null;
  createdAt: string;
}

export interface ReportAuditEntry {
  id: string;
  chainIndex: number | null;
  hash: string | null;
  createdAt: string;
  action: string;
  entityType: string;
  entityId: string | null;
  actor: { type: string; id: string | null; email: string | null; apiKeyName: string | null };
  data: unknown;
}

export interface ReportIncidentContext {
  incident: ReportIncident;
  rule: ReportRule | null;
  reviewItem: ReportReviewItem | null;
  auditEvents: ReportAuditEntry[];
}

interface ReportHeader {
  format: string;
  generatedAt: string;
  tenant: { id: string; slug: string; name: string };
  stream: { id: string; name: string; kind: string; sourceUrl: string } | null;
  contentSha256: string;
}

export interface IncidentReport extends ReportHeader, ReportIncidentContext {
  kind: 'incident';
  analyses: ReportAnalysis[];
}

export interface AnalysisReport extends ReportHeader {
  kind: 'analysis';
  analysis: ReportAnalysis;
  incidents: ReportIncidentContext[];
}

export type Report = IncidentReport | AnalysisReport;

/** The report, or null when the JSON is not a report this console knows how to show. */
export function asReport(value: unknown): Report | null {
  if (!value || typeof value !== 'object') return null;
  const candidate = value as Partial<Report>;
  if (typeof candidate.contentSha256 !== 'string') return null;
  if (candidate.kind === 'incident' && Array.isArray((candidate as IncidentReport).analyses))
    return candidate as IncidentReport;
  if (candidate.kind === 'analysis' && typeof (candidate as AnalysisReport).analysis === 'object')
    return candidate as AnalysisReport;
  return null;
}
