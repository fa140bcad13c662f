import { type AuditActor, recordAudit } from '../audit/audit-log';
import { type TenantDb, tenantIdOf } from '../db/tenant-scoped-db';
import { Prisma } from '../generated/prisma/client';
import type { VlmOutcome } from '../inference/gpu/vlm-analyser';

export type FinishedVlm = Exclude<VlmOutcome, { kind: 'unavailable' }>;
export type WindowWithContext = NonNullable<Awaited<ReturnType<typeof loadWindow>>>;

/*
 * The rows of a window's analysis: the Window's status and the Analysis rows, one per (window,
 * template version, mode), so a job that runs twice updates one row. Each finished analysis is
 * written in one transaction with its window's status.
 */

/**
 * The window with what decides its analysis now: the stream's name, its zones and lines version
 * and its template's active version id.
 */
export function loadWindow(db: TenantDb, windowId: string) {
  return db.window.findUnique({
    where: { id: windowId },
    select: {
      id: true,
      streamId: true,
      status: true,
      frameIds: true,
      stream: {
        select: { name: true, sceneVersion: true, template: { select: { activeVersionId: true } } },
      },
    },
  });
}

/** The window cannot be analysed before anything runs (no template): FAILED with the reason. */
export async function failWindow(db: TenantDb, windowId: string, reason: string): Promise<void> {
  await db.window.update({ where: { id: windowId }, data: { status: 'FAILED', error: reason } });
}

/** The analysis row of this attempt, RUNNING (created, or reset when a retry runs it again). */
export async function startAnalysis(
  db: TenantDb,
  tenantId: string,
  window: Pick<WindowWithContext, 'id' | 'streamId'>,
  versionId: string,
  mode: 'VLM' | 'LOCAL',
): Promise<string> {
  const row = await db.analysis.upsert({
    where: {
      tenantId_windowId_templateVersionId_mode: {
        tenantId,
        windowId: window.id,
        templateVersionId: versionId,
        mode,
      },
    },
    create: { tenantId, streamId: window.streamId, windowId: window.id, templateVersionId: versionId, mode },
    update: { status: 'RUNNING', startedAt: new Date(), error: null },
    select: { id: true },
  });
  return row.id;
}

/** What one window's request carries: its frames and their image tokens. */
export interface WindowSent {
  frames: number;
  visionTokens: number;
}

/**
 * The GPU side of an analysis row, whatever the outcome: the node and model, the requests made
 * and what each carried, tokens (marked when estimated), latency and the last reasoning.
 */
function gpuFields(outcome: VlmOutcome, sent: WindowSent) {
  const anySent = outcome.attempts > 0;
  return {
    reasoning: outcome.reasoning,
    nodeName: outcome.node,
    model: outcome.model,
    finishReason: outcome.finishReason,
    framesSent: anySent ? sent.frames : 0,
    visionTokens: anySent ? sent.visionTokens : 0,
    promptTokens: outcome.usage.promptTokens,
    completionTokens: outcome.usage.completionTokens,
    reasoningTokens: outcome.usage.reasoningTokens,
    usageEstimated: outcome.usage.estimatedTokens > 0,
    latencyMs: Math.round(outcome.latencyMs),
    attempts: outcome.attempts,
  };
}

/**
 * The GPU's answer (or its failure), and the window's status when the window follows it. The two
 * rows are written by one statement (an UPDATE of the analysis inside the UPDATE of its window):
 * atomic as a transaction, in one round trip instead of four (BEGIN, two updates, COMMIT). Throws
 * when either row is gone, as an update of a missing row does.
 */
export async function saveVlmAnalysis(
  db: TenantDb,
  windowId: string,
  analysisId: string,
  outcome: FinishedVlm,
  sent: WindowSent,
  setWindowStatus: boolean,
): Promise<'DONE' | 'FAILED'> {
  const status = outcome.kind === 'done' ? 'DONE' : 'FAILED';
  const error = outcome.kind === 'failed' ? outcome.reason : null;
  const completedAt = new Date();
  if (!setWindowStatus) {
    await db.analysis.update({
      where: { id: analysisId },
      data: {
        status,
        result: outcome.kind === 'done' ? (outcome.result as Prisma.InputJsonValue) : undefined,
        ...gpuFields(outcome, sent),
        error,
        completedAt,
      },
    });
    return status;
  }
  const tenantId = tenantIdOf(db);
  const gpu = gpuFields(outcome, sent);
  const result =
    outcome.kind === 'done' ? Prisma.sql`${JSON.stringify(outcome.result)}::jsonb` : Prisma.sql`"result"`;
  const windows = await db.$executeRaw(Prisma.sql`
    WITH analysis AS (
      UPDATE "Analysis" SET
        "status" = ${status}::"AnalysisStatus", "result" = ${result}, "reasoning" = ${gpu.reasoning},
        "nodeName" = ${gpu.nodeName}, "model" = ${gpu.model}, "finishReason" = ${gpu.finishReason},
        "framesSent" = ${gpu.framesSent}::int, "visionTokens" = ${gpu.visionTokens}::int,
        "promptTokens" = ${gpu.promptTokens}::int, "completionTokens" = ${gpu.completionTokens}::int,
        "reasoningTokens" = ${gpu.reasoningTokens}::int, "usageEstimated" = ${gpu.usageEstimated},
        "latencyMs" = ${gpu.latencyMs}::int, "attempts" = ${gpu.attempts}::int, "error" = ${error},
        "completedAt" = ${completedAt}, "updatedAt" = ${completedAt}
      WHERE "id" = ${analysisId}::uuid AND "tenantId" = ${tenantId}::uuid
      RETURNING "id"
    )
    UPDATE "Window" SET "status" = ${status}::"WindowStatus", "error" = ${error}, "updatedAt" = ${completedAt}
    WHERE "id" = ${windowId}::uuid AND "tenantId" = ${tenantId}::uuid AND EXISTS (SELECT 1 FROM analysis)`);
  if (windows !== 1) throw new Error(`analysis ${analysisId} or its window ${windowId} no longer exists`);
  return status;
}

/** A GPU analysis no node could finish: its row, with what was sent before that. */
export interface UnfinishedVlm {
  analysisId: string;
  outcome: VlmOutcome;
  sent: WindowSent;
}

/**
 * A local analysis and its window's status; when it stands in for a GPU analysis that could not
 * finish, that one is marked FAILED with the same note and keeps its GPU bookkeeping (requests
 * may have been sent before every node became unavailable).
 */
export async function saveLocalAnalysis(
  db: TenantDb,
  windowId: string,
  analysisId: string,
  local: {
    status: 'DONE' | 'GATED' | 'DEGRADED';
    result: Prisma.InputJsonValue;
    model: string;
    latencyMs: number;
    note: string | null;
    replacesVlm: UnfinishedVlm | null;
    /** A GPU re-analysis is wanted: recorded with the result, before its job is queued. */
    wantsReanalysis?: boolean;
  },
): Promise<void> {
  const { status, note } = local;
  const completedAt = new Date();
  await db.$transaction([
    db.analysis.update({
      where: { id: analysisId },
      data: {
        status,
        result: local.result,
        reasoning: '',
        nodeName: null,
        model: local.model,
        latencyMs: Math.round(local.latencyMs),
        attempts: { increment: 1 },
        error: note,
        completedAt,
      },
    }),
    ...(local.replacesVlm ? [failUnfinishedVlm(db, local.replacesVlm, note, completedAt)] : []),
    db.window.update({
      where: { id: windowId },
      data: {
        status,
        error: status === 'DONE' ? null : note,
        ...(local.wantsReanalysis ? { reanalysisWantedSince: completedAt } : {}),
      },
    }),
  ]);
}

/** The window's GPU re-analysis has ended (done, failed for good, or no longer possible). */
export async function endReanalysis(db: TenantDb, windowId: string): Promise<void> {
  await db.window.updateMany({
    where: { id: windowId, reanalysisWantedSince: { not: null } },
    data: { reanalysisWantedSince: null },
  });
}

/** The window cannot be analysed at all (frames gone, detector broken): both FAILED with the reason. */
export async function saveFailedAnalysis(
  db: TenantDb,
  windowId: string,
  analysisId: string,
  reason: string,
): Promise<void> {
  await db.$transaction([
    db.analysis.update({
      where: { id: analysisId },
      data: { status: 'FAILED', error: reason, completedAt: new Date(), attempts: { increment: 1 } },
    }),
    db.window.update({ where: { id: windowId }, data: { status: 'FAILED', error: reason } }),
  ]);
}

/** A GPU attempt that found no node (in the end): the analysis row says why and what was sent; the window keeps what it had. */
export async function failAnalysisAttempt(
  db: TenantDb,
  unfinished: UnfinishedVlm,
  reason: string,
): Promise<void> {
  await failUnfinishedVlm(db, unfinished, reason, new Date());
}

/** The update that marks an unfinished GPU analysis FAILED, keeping what was sent (not yet run). */
function failUnfinishedVlm(
  db: TenantDb,
  unfinished: UnfinishedVlm,
  reason: string | null,
  completedAt: Date,
) {
  return db.analysis.update({
    where: { id: unfinished.analysisId },
    data: { status: 'FAILED', ...gpuFields(unfinished.outcome, unfinished.sent), error: reason, completedAt },
  });
}

/**
 * Retention deletes analyses of an archived stream that no remaining incident cites (the caller
 * chose them), then the stream's windows that ended before `before` and have no analysis left,
 * audited as `stream.analyses_purged` by `actor` (the retention job) in the same transaction.
 */
export async function purgeAnalyses(
  db: TenantDb,
  actor: AuditActor,
  streamId: string,
  analysisIds: string[],
  before: Date,
): Promise<{ analyses: number; windows: number }> {
  return db.$transaction(async (tx) => {
    const analyses = await tx.analysis.deleteMany({ where: { streamId, id: { in: analysisIds } } });
    const windows = await tx.window.deleteMany({
      where: { streamId, endAt: { lt: before }, analyses: { none: {} } },
    });
    if (analyses.count + windows.count > 0) {
      await recordAudit(tx, actor, {
        action: 'stream.analyses_purged',
        entityType: 'Stream',
        entityId: streamId,
        data: { analyses: analyses.count, windows: windows.count, before: before.toISOString() },
      });
    }
    return { analyses: analyses.count, windows: windows.count };
  });
}
