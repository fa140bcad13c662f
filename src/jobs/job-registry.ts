/**
 * Every BullMQ queue, its job names and their payloads, in one place. Payloads carry ids only:
 * never secrets, never data a worker can read from PostgreSQL (design.md, principle 1).
 */
export const QUEUES = {
  maintenance: 'vigil-maintenance',
  analysis: 'vigil-analysis',
  rules: 'vigil-rules',
  webhooks: 'vigil-webhooks',
} as const;

export const MAINTENANCE_JOBS = {
  purgeExpiredSessions: 'purge-expired-sessions',
  reconcileWindows: 'reconcile-windows',
  purgeOldFrames: 'purge-old-frames',
  reviewDeadlines: 'review-deadlines',
} as const;

export const ANALYSIS_JOBS = {
  analyseWindow: 'analyse-window',
  /** A GPU analysis of a window analysed locally while every node was down; job id reanalyse-<windowId>. */
  reanalyseWindow: 'reanalyse-window',
} as const;

export const WEBHOOK_JOBS = {
  deliver: 'deliver-webhook',
} as const;

/**
 * One job per delivery and attempt round: the first round's id is the delivery id; a GraphQL retry of
 * a DEAD delivery starts a new round (its failed job may still be retained under the old id).
 */
export function webhookJobId(deliveryId: string, round = 0): string {
  return round === 0 ? `webhook-${deliveryId}` : `webhook-${deliveryId}-r${round}`;
}

/** Ids only: the worker reads the URL, the sealed secret and the payload from PostgreSQL. */
export interface DeliverWebhookPayload {
  tenantId: string;
  deliveryId: string;
}

export function reanalysisJobId(windowId: string): string {
  return `reanalyse-${windowId}`;
}

/** The job id is the window id: a window is never queued twice (design.md, principle 3). */
export interface AnalyseWindowPayload {
  tenantId: string;
  windowId: string;
}

export const RULES_JOBS = {
  evaluateAnalysis: 'evaluate-analysis',
} as const;

/** The job id is the analysis id: a tenant's rules run once per finished analysis. */
export interface EvaluateRulesPayload {
  tenantId: string;
  analysisId: string;
}

export interface PurgeExpiredSessionsPayload {
  /** Sessions that ended (expired or revoked) more than this long ago are deleted. */
  olderThanHours: number;
}

/** Bounded retention of finished jobs on every queue (principle 6). */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: { count: 1_000, age: 24 * 3600 },
  removeOnFail: { count: 5_000, age: 7 * 24 * 3600 },
} as const;
