/**
 * The shape of a report (format vigil.report.v2), as the API builds it
 * (src/services/report.service.ts), the PDF renders it and the GraphQL types
 * (src/schema/report.type.ts) implement it. Dates are ISO strings.
 *
 * An incident report starts with its summary (the incident with its keyframes, the rule, the human
 * decision, the count of analyses by kind) and carries its analyses as a paged evidence appendix:
 * at most REPORT_PAGE_SIZE analyses per page, `analysesPage` telling which page it is and where
 * the next one is. `contentSha256` covers what the report asserts, whichever page is read and
 * whenever it is built: sha256 over the RFC 8785 canonical JSON of the report with every analysis
 * of every page in `analyses`, without `contentSha256`, `generatedAt` and `analysesPage`.
 */
export const REPORT_FORMAT = 'vigil.report.v2';

/** Analyses per page of a report's evidence appendix (JSON, GraphQL and PDF alike). */
export const REPORT_PAGE_SIZE = 50;

/** The fields of a report outside its contentSha256: when it was rendered and which page it is. */
export const UNHASHED_REPORT_FIELDS = ['contentSha256', 'generatedAt', 'analysesPage'] as const;

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
  /** Why and when it ended; null while it is open. */
  closedAt: string | null;
  closeReason: string | null;
  /** A bounded sample of its evidence's frames (the first window's, then spread over the rest). */
  keyframes: ReportFrame[];
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

/** The template version an analysis was made for (the prompt itself only where a model read it). */
export interface ReportTemplateRef {
  id: string;
  version: number;
  templateId: string;
  templateName: string | null;
}

/** What the CPU analyser did: its name, why the window stayed local, and its plain trace. */
export interface ReportLocalRun {
  /** The local analyser (detector, classifier and tracker), never a language model. */
  analyser: string;
  /** Why the window was analysed locally (the gate's or the fallback's note); null when local is the stream's mode. */
  note: string | null;
  /** How each finding was reached, in plain words (empty for results made before traces existed). */
  trace: string[];
}

/**
 * One analysis. `kind` says who made it: "model" (a vision-language model on a GPU node: its model,
 * node, tokens, prompt version, sampling and reasoning are filled) or "local" (the CPU analyser:
 * `local` is filled and every model field is null or empty, since no model ran).
 */
export interface ReportAnalysis {
  id: string;
  kind: 'model' | 'local';
  status: string;
  mode: string;
  /** The model that answered; null for a local analysis. */
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
  template: ReportTemplateRef | null;
  /** The full prompt the model read; null for a local analysis. */
  promptVersion: ReportPromptVersion | null;
  /** The sampling settings sent to the model; null for a local analysis. */
  sampling: ReportSampling | null;
  /** The model's reasoning; empty for a local analysis (see `local.trace`). */
  reasoning: string;
  local: ReportLocalRun | null;
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

/** How many analyses a report covers, by who made them. */
export interface ReportAnalysisCounts {
  total: number;
  model: number;
  local: number;
}

/** Which page of the evidence appendix a report carries, and how to get the next one. */
export interface ReportAnalysesPage {
  /** 1-based. */
  page: number;
  pages: number;
  pageSize: number;
  /** Analyses of the whole report (every page). */
  total: number;
  /** 1-based position of this page's first analysis (0 when there is none). */
  first: number;
  /** 1-based position of its last one (0 when there is none). */
  last: number;
  nextPage: number | null;
}

interface ReportHeader {
  format: typeof REPORT_FORMAT;
  /** "Chain-of-thought report" only when a model reasoned; "… local analysis" when none did. */
  title: string;
  /** When this copy was built: outside contentSha256, so every copy of one state has one hash. */
  generatedAt: string;
  tenant: ReportTenant;
  stream: ReportStream | null;
  analysisCounts: ReportAnalysisCounts;
  contentSha256: string;
}

export interface IncidentReport extends ReportHeader, ReportIncidentContext {
  kind: 'incident';
  /** This page of the evidence appendix. */
  analyses: ReportAnalysis[];
  analysesPage: ReportAnalysesPage;
}

export interface AnalysisReport extends ReportHeader {
  kind: 'analysis';
  analysis: ReportAnalysis;
  /** The incidents this analysis fired into (usually one), each with its rule, decision and audit trail. */
  incidents: ReportIncidentContext[];
}

export type Report = IncidentReport | AnalysisReport;

/** A report's title, from who made its analyses. */
export function reportTitle(kind: Report['kind'], counts: ReportAnalysisCounts): string {
  const subject = kind === 'incident' ? 'Incident report' : 'Analysis report';
  if (counts.model === 0 && counts.local > 0) return `${subject} — local analysis`;
  if (counts.model > 0 && counts.local > 0) return `${subject} — chain of thought and local analysis`;
  return counts.model > 0 ? 'Chain-of-thought report' : subject;
}
