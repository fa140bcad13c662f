import type { AppConfig } from '../config/config';

/**
 * Every background job of Vigil in one table: its queue, its BullMQ job name, its payload type, its
 * deterministic job id and its options. Producers queue jobs through a JobQueue (job-queue.ts) by
 * kind; workers serve a handler per kind (JobHandlers, checked by the compiler against this table).
 *
 * Payloads carry ids only: never secrets, never data a worker can read from PostgreSQL, which holds
 * the truth of every job (docs/principles.md). Job ids are derived from the payload, so a job
 * queued twice (a retry, a reconciler, two workers) exists once.
 */
export const QUEUES = {
  maintenance: 'vigil-maintenance',
  analysis: 'vigil-analysis',
  rules: 'vigil-rules',
  webhooks: 'vigil-webhooks',
  evidence: 'vigil-evidence',
  audit: 'vigil-audit',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** A window to analyse: the job id is the window id, so a window is never queued twice. */
export interface AnalyseWindowPayload {
  tenantId: string;
  windowId: string;
}

/** The tenant's rules on one finished analysis: the job id is the analysis id. */
export interface EvaluateRulesPayload {
  tenantId: string;
  analysisId: string;
}

/** Ids only: the worker reads the URL, the sealed secret and the payload from PostgreSQL. */
export interface DeliverWebhookPayload {
  tenantId: string;
  deliveryId: string;
  /**
   * The delivery's attempt round: 0 for the first; a GraphQL retry of a DEAD delivery starts a new
   * round (the failed job of the previous round may still be retained under its id).
   */
  round?: number;
}

/**
 * An incident's evidence clip, once it closed: `firings` is the count it closed with, so an
 * incident reopened and closed again with more firings gets a build of its own.
 */
export interface BuildIncidentClipPayload {
  tenantId: string;
  incidentId: string;
  firings: number;
}

/** A verification of a tenant's audit chain: the worker reads what to do from its row. */
export interface VerifyAuditChainPayload {
  tenantId: string;
  verificationId: string;
}

export interface PurgeExpiredSessionsPayload {
  /** Sessions that ended (expired or revoked) more than this long ago are deleted. */
  olderThanHours: number;
}

/** Periodic jobs that carry nothing: everything they need is in PostgreSQL. */
export type NoPayload = Record<string, never>;

/** The payload of each kind of job. Adding a kind here makes the compiler ask for its row and handler. */
export interface JobPayloads {
  analyseWindow: AnalyseWindowPayload;
  /** A GPU analysis of a window analysed locally while every GPU node was down. */
  reanalyseWindow: AnalyseWindowPayload;
  evaluateRules: EvaluateRulesPayload;
  deliverWebhook: DeliverWebhookPayload;
  buildIncidentClip: BuildIncidentClipPayload;
  verifyAuditChain: VerifyAuditChainPayload;
  /** Signs and stores the heads of the tenants' audit chains that moved (AUDIT_ANCHOR_EVERY_MINUTES). */
  anchorAuditChains: NoPayload;
  purgeExpiredSessions: PurgeExpiredSessionsPayload;
  reconcileLostJobs: NoPayload;
  reviewDeadlines: NoPayload;
  closeQuietIncidents: NoPayload;
  purgeOldFrames: NoPayload;
}
export type JobKind = keyof JobPayloads;

/** What the table says about retries and retention; the BullMQ adapter turns it into job options. */
export interface JobOptions {
  attempts: number;
  /** First backoff delay; each further attempt waits twice as long. */
  backoffMs: number;
  /** BullMQ priority: 1 is the most urgent; a larger number waits behind smaller ones. */
  priority?: number;
  delayMs?: number;
  keepCompleted: { count: number; ageSeconds: number };
  keepFailed: { count: number; ageSeconds: number };
}

/** The settings of this deployment that shape job options. */
export type JobSettings = Pick<AppConfig, 'WEBHOOK_MAX_ATTEMPTS' | 'WEBHOOK_BACKOFF_MS'>;

export interface JobDefinition<K extends JobKind> {
  queue: QueueName;
  /** The BullMQ job name: stable, since jobs already in Redis carry it. */
  name: string;
  jobId: (payload: JobPayloads[K]) => string;
  options: (settings: JobSettings) => JobOptions;
  /** Periodic jobs: how often, with which payload (one schedule per kind, kept by every worker). */
  every?: { ms: number; payload: JobPayloads[K] };
}

/** Bounded retention of finished jobs on every queue (every queue has a retention cap). */
const RETENTION = {
  keepCompleted: { count: 1_000, ageSeconds: 24 * 3600 },
  keepFailed: { count: 5_000, ageSeconds: 7 * 24 * 3600 },
};
/** Three attempts with backoff, and the retention cap: most jobs' options. */
export const STANDARD_JOB_OPTIONS: JobOptions = { attempts: 3, backoffMs: 5_000, ...RETENTION };
const STANDARD = STANDARD_JOB_OPTIONS;

/** How long a re-analysis waits before it looks for a GPU node again. */
export const REANALYSIS_RETRY_MS = 30_000;
export const SESSION_PURGE_EVERY_MS = 3_600_000;
export const SESSION_RETENTION_HOURS = 24;
export const RECONCILE_EVERY_MS = 60_000;
export const FRAME_RETENTION_EVERY_MS = 3_600_000;
/** Claim leases and review deadlines are checked this often. */
export const REVIEW_DEADLINES_EVERY_MS = 5_000;
/**
 * How often the anchoring job looks for chain heads to anchor; each tenant is anchored at most once
 * per AUDIT_ANCHOR_EVERY_MINUTES, and only when its head moved.
 */
export const ANCHOR_CHECK_EVERY_MS = 60_000;
/** Incidents whose rule stayed quiet for its cooldown are closed this often. */
export const CLOSE_QUIET_INCIDENTS_EVERY_MS = 5_000;

export function webhookJobId(deliveryId: string, round = 0): string {
  return round === 0 ? `webhook-${deliveryId}` : `webhook-${deliveryId}-r${round}`;
}

export function incidentClipJobId(incidentId: string, firings: number): string {
  return `clip-${incidentId}-${firings}`;
}

export function auditVerificationJobId(verificationId: string): string {
  return `audit-verification-${verificationId}`;
}

export function reanalysisJobId(windowId: string): string {
  return `reanalyse-${windowId}`;
}

export const JOBS: { readonly [K in JobKind]: JobDefinition<K> } = {
  analyseWindow: {
    queue: QUEUES.analysis,
    name: 'analyse-window',
    jobId: (payload) => payload.windowId,
    options: () => STANDARD,
  },
  reanalyseWindow: {
    queue: QUEUES.analysis,
    name: 'reanalyse-window',
    jobId: (payload) => reanalysisJobId(payload.windowId),
    // Behind live windows: fresh analysis matters more than catching up on the past.
    options: () => ({ ...STANDARD, priority: 1_000_000, delayMs: REANALYSIS_RETRY_MS }),
  },
  evaluateRules: {
    queue: QUEUES.rules,
    name: 'evaluate-analysis',
    jobId: (payload) => payload.analysisId,
    options: () => STANDARD,
  },
  deliverWebhook: {
    queue: QUEUES.webhooks,
    name: 'deliver-webhook',
    jobId: (payload) => webhookJobId(payload.deliveryId, payload.round),
    options: (settings) => ({
      attempts: settings.WEBHOOK_MAX_ATTEMPTS,
      backoffMs: settings.WEBHOOK_BACKOFF_MS,
      ...RETENTION,
    }),
  },
  buildIncidentClip: {
    queue: QUEUES.evidence,
    name: 'build-incident-clip',
    jobId: (payload) => incidentClipJobId(payload.incidentId, payload.firings),
    options: () => STANDARD,
  },
  verifyAuditChain: {
    queue: QUEUES.audit,
    name: 'verify-audit-chain',
    jobId: (payload) => auditVerificationJobId(payload.verificationId),
    options: () => STANDARD,
  },
  anchorAuditChains: {
    queue: QUEUES.audit,
    name: 'anchor-audit-chains',
    jobId: () => 'anchor-audit-chains',
    options: () => STANDARD,
    every: { ms: ANCHOR_CHECK_EVERY_MS, payload: {} },
  },
  purgeExpiredSessions: {
    queue: QUEUES.maintenance,
    name: 'purge-expired-sessions',
    jobId: () => 'purge-expired-sessions',
    options: () => STANDARD,
    every: { ms: SESSION_PURGE_EVERY_MS, payload: { olderThanHours: SESSION_RETENTION_HOURS } },
  },
  reconcileLostJobs: {
    queue: QUEUES.maintenance,
    name: 'reconcile-lost-jobs',
    jobId: () => 'reconcile-lost-jobs',
    options: () => STANDARD,
    every: { ms: RECONCILE_EVERY_MS, payload: {} },
  },
  reviewDeadlines: {
    queue: QUEUES.maintenance,
    name: 'review-deadlines',
    jobId: () => 'review-deadlines',
    options: () => STANDARD,
    every: { ms: REVIEW_DEADLINES_EVERY_MS, payload: {} },
  },
  closeQuietIncidents: {
    queue: QUEUES.maintenance,
    name: 'close-quiet-incidents',
    jobId: () => 'close-quiet-incidents',
    options: () => STANDARD,
    every: { ms: CLOSE_QUIET_INCIDENTS_EVERY_MS, payload: {} },
  },
  purgeOldFrames: {
    queue: QUEUES.maintenance,
    name: 'purge-old-frames',
    jobId: () => 'purge-old-frames',
    options: () => STANDARD,
    every: { ms: FRAME_RETENTION_EVERY_MS, payload: {} },
  },
};

export const JOB_KINDS = Object.keys(JOBS) as JobKind[];

/** The kind of a job as BullMQ names it on a queue; undefined for a name the table does not know. */
export function jobKindOf(queue: string, name: string): JobKind | undefined {
  return JOB_KINDS.find((kind) => JOBS[kind].queue === queue && JOBS[kind].name === name);
}
