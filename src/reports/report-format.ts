/**
 * The shape of a chain-of-thought report (format vigil.report.v1), as the API builds it
 * (src/services/report.service.ts), the PDF renders it and the GraphQL types
 * (src/schema/report.type.ts) implement it. Types only. Dates are ISO strings.
 */
export const REPORT_FORMAT = 'vigil.report.v1';

export interface ReportTenant {
  id: string;
  slug: string;
  name: string;
}

export interface ReportStream {
  id: string;
  name: string;
  kind: string;
  /** With any credentials masked. */
  sourceUrl: string;
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

export interface ReportFrame {
  id: string;
  sequence: number;
  capturedAt: string;
  sha256: string;
  width: number;
  height: number;
  /** Near-duplicates dedup skipped between the previous kept frame and this one. */
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
  /** The window's frames in capture order. */
  frames: ReportFrame[];
  /** Frames of the window no longer stored (removed by retention). */
  missingFrameIds: string[];
  promptVersion: ReportPromptVersion | null;
  sampling: ReportSampling | null;
  reasoning: string;
  result: unknown;
}

export interface ReportUser {
  id: string;
  /** Null when the user has since been deleted. */
  email: string | null;
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

/** An incident with its rule, decision and audit trail. */
export interface ReportIncidentContext {
  incident: ReportIncident;
  rule: ReportRule | null;
  reviewItem: ReportReviewItem | null;
  auditEvents: ReportAuditEntry[];
}

interface ReportHeader {
  format: typeof REPORT_FORMAT;
  generatedAt: string;
  tenant: ReportTenant;
  stream: ReportStream | null;
  contentSha256: string;
}

export interface IncidentReport extends ReportHeader, ReportIncidentContext {
  kind: 'incident';
  analyses: ReportAnalysis[];
}

export interface AnalysisReport extends ReportHeader {
  kind: 'analysis';
  analysis: ReportAnalysis;
  /** The incidents this analysis fired into (usually one), each with its rule, decision and audit trail. */
  incidents: ReportIncidentContext[];
}

export type Report = IncidentReport | AnalysisReport;
