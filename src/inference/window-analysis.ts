import Ajv, { type ValidateFunction } from 'ajv';
import type Redis from 'ioredis';
import type { ChainableCommander } from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb, type TenantDb } from '../db/tenant-scoped-db';
import type { Prisma } from '../generated/prisma/client';
import type { InferenceMetrics } from './inference-metrics';
import { publishEvent } from '../pubsub/event-bus';
import {
  AnalysisFinishedMessage,
  REASONING_SO_FAR_TTL_SECONDS,
  ReasoningMessage,
  StreamStatusEvent,
  TOPICS,
} from '../pubsub/topics';
import { recordAudit } from '../services/audit.service';
import type { FrameStore } from '../storage/frame-store';
import { buildLocalResult, gateIsOff, gateMatches, type AnalysisGate } from './local/local-result';
import type { LocalAnalyser } from './local/shared-detector';
import type { FrameDetection } from './local/frame-detector';
import type { NodePool } from './gpu/node-pool';
import { RecentMap } from '../util/recent-map';
import { BudgetCache, UsageBuffer, usageMonth, type UsageIncrement } from './usage-meter';
import { analyseOnNodes, type VlmOutcome } from './gpu/vlm-analyser';
import { buildChatSpec, visionTokensOf, type PromptFrame, type PromptVersion } from './gpu/window-prompt';

export interface WindowAnalysisDeps {
  prisma: PrismaClient;
  store: FrameStore;
  /** Publishes reasoning and finished analyses; a plain (non-subscriber) connection. */
  publisher: Redis;
  local: LocalAnalyser;
  /** Null with INFERENCE_MODE=local: no GPU at all. */
  pool: NodePool | null;
  config: Pick<
    AppConfig,
    | 'INFERENCE_MODE'
    | 'INFERENCE_MAX_ATTEMPTS'
    | 'INFERENCE_REQUEST_TIMEOUT_MS'
    | 'INFERENCE_IDLE_TIMEOUT_MS'
    | 'LOCAL_NSFW_THRESHOLD'
  >;
  logger: Logger;
  metrics?: InferenceMetrics;
  /** Schedules a GPU analysis of a window that was analysed locally while every node was down. */
  scheduleReanalysis?: (tenantId: string, windowId: string) => Promise<void>;
  /** Queues the tenant's rules on a DONE or DEGRADED analysis (the rules queue, job id = analysis id). */
  scheduleRules?: (tenantId: string, analysisId: string) => Promise<void>;
}

export type WindowAnalysisOutcome =
  | { status: 'DONE' | 'FAILED' | 'GATED' | 'DEGRADED'; analysisId: string; mode: 'VLM' | 'LOCAL' }
  | { status: 'SKIPPED'; reason: string }
  /** A re-analysis found no node yet: try again later. */
  | { status: 'WAIT'; reason: string };

type LoadedFrame = PromptFrame & { id: string; width: number; height: number };

type WindowWithContext = NonNullable<Awaited<ReturnType<typeof loadWindow>>>;

/** The window with what decides its analysis now: the stream's name and its template's active version id. */
function loadWindow(db: TenantDb, windowId: string) {
  return db.window.findUnique({
    where: { id: windowId },
    select: {
      id: true,
      streamId: true,
      status: true,
      frameIds: true,
      stream: { select: { name: true, template: { select: { activeVersionId: true } } } },
    },
  });
}

type VersionRow = NonNullable<Awaited<ReturnType<TenantDb['promptTemplateVersion']['findUnique']>>>;
type TenantRow = NonNullable<Awaited<ReturnType<PrismaClient['tenant']['findUnique']>>>;
type FrameRow = NonNullable<Awaited<ReturnType<TenantDb['frame']['findUnique']>>>;

/** Tenant settings (policy text, budget, over-budget action) apply to new windows within this time. */
const TENANT_CACHE_MS = 5_000;

/** Reasoning arrives in many small deltas; Redis gets them in batches of at most this age. */
const REASONING_FLUSH_MS = 100;

/**
 * Analyses one window, from its Window row to its Analysis row, usage counters and the window's
 * final status. Idempotent: the Analysis row is unique per (window, template version, mode), so a
 * job that runs twice updates one row; a window already finished is left alone.
 */
export class WindowAnalysis {
  private readonly validators = new RecentMap<ValidateFunction>(1_000);
  private readonly budgets: BudgetCache;
  readonly usage: UsageBuffer;
  // Versions never change once written; frames neither (until retention deletes them), and
  // overlapping windows share half their frames: all three are read once per process.
  private readonly versions = new RecentMap<VersionRow>(1_000);
  private readonly frameRows = new RecentMap<FrameRow>(4_096);
  private readonly jpegs = new RecentMap<Buffer>(256);
  private readonly tenants = new Map<string, { at: number; row: TenantRow }>();

  constructor(private readonly deps: WindowAnalysisDeps) {
    this.budgets = new BudgetCache(deps.prisma);
    this.usage = new UsageBuffer(deps.prisma, (error) =>
      deps.logger.error({ err: error }, 'could not write usage counters'),
    );
  }

  private async version(db: TenantDb, versionId: string): Promise<VersionRow> {
    let row = this.versions.get(versionId);
    if (!row) {
      row = await db.promptTemplateVersion.findUniqueOrThrow({ where: { id: versionId } });
      this.versions.set(versionId, row);
    }
    return row;
  }

  private async tenant(tenantId: string): Promise<TenantRow> {
    const cached = this.tenants.get(tenantId);
    if (cached && Date.now() - cached.at < TENANT_CACHE_MS) return cached.row;
    const row = await this.deps.prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } });
    if (this.tenants.size > 10_000) this.tenants.clear();
    this.tenants.set(tenantId, { at: Date.now(), row });
    return row;
  }

  async analyse(
    tenantId: string,
    windowId: string,
    options: { reanalysis?: boolean; signal?: AbortSignal } = {},
  ): Promise<WindowAnalysisOutcome> {
    const db = tenantDb(this.deps.prisma, tenantId);
    const window = await loadWindow(db, windowId);
    if (!window) return { status: 'SKIPPED', reason: 'window not found (deleted)' };
    if (options.reanalysis) return this.reanalyse(db, tenantId, window, options.signal);
    if (window.status !== 'QUEUED' && window.status !== 'RUNNING') {
      return { status: 'SKIPPED', reason: `window already ${window.status}` };
    }
    const versionId = window.stream.template?.activeVersionId ?? null;
    if (!versionId) {
      await db.window.update({
        where: { id: window.id },
        data: {
          status: 'FAILED',
          error: 'the stream has no prompt template: set one to analyse its windows',
        },
      });
      this.usage.add(tenantId, window.streamId, usageMonth(), { windowsFailed: 1 });
      return { status: 'SKIPPED', reason: 'no template' };
    }
    const [version] = await Promise.all([
      this.version(db, versionId),
      db.window.update({ where: { id: window.id }, data: { status: 'RUNNING', attempts: { increment: 1 } } }),
    ]);
    const frames = await this.loadFrames(db, window);
    if (typeof frames === 'string') return this.failWithoutModel(db, tenantId, window, version.id, frames);

    const tenant = await this.tenant(tenantId);
    const month = usageMonth();
    if (this.deps.config.INFERENCE_MODE === 'local' || !this.deps.pool) {
      return this.finishLocal(db, tenantId, window, version.id, frames, 'DONE', null);
    }
    if (await this.budgets.exhausted(tenantId, tenant.monthlyTokenBudget, month)) {
      await this.onBudgetExhausted(db, tenantId, tenant, month);
      return this.finishLocal(
        db,
        tenantId,
        window,
        version.id,
        frames,
        'DONE',
        `the tenant's monthly token budget (${tenant.monthlyTokenBudget} tokens) is used up: analysed locally`,
      );
    }

    const gate: AnalysisGate = {
      objects: version.gateObjects,
      nsfw: version.gateNsfw,
      minConfidence: version.gateMinConfidence,
    };
    let detections: FrameDetection[] | null = null;
    if (!gateIsOff(gate)) {
      detections = await this.deps.local.detect(frames.map((frame) => ({ jpeg: frame.jpeg, key: frame.id })));
      const decision = gateMatches(gate, detections, {
        nsfwThreshold: this.deps.config.LOCAL_NSFW_THRESHOLD,
      });
      if (!decision.matched) {
        return this.finishLocal(
          db,
          tenantId,
          window,
          version.id,
          frames,
          'GATED',
          decision.reasons.join('; '),
          detections,
        );
      }
    }

    const vlm = await this.runVlm(db, tenantId, window, version, tenant.policyText, frames, options.signal);
    if (vlm.outcome.kind === 'unavailable') {
      const outcome = await this.finishLocal(
        db,
        tenantId,
        window,
        version.id,
        frames,
        'DEGRADED',
        `analysed locally: ${vlm.outcome.reason}`,
        detections,
        vlm.analysisId,
      );
      if (version.reanalyseDegraded) await this.deps.scheduleReanalysis?.(tenantId, window.id);
      return outcome;
    }
    return this.finishVlm(db, tenantId, window, vlm.analysisId, vlm.outcome, frames, true);
  }

  /** A GPU analysis of a window that was analysed locally (DEGRADED) while every node was down. */
  private async reanalyse(
    db: TenantDb,
    tenantId: string,
    window: WindowWithContext,
    signal?: AbortSignal,
  ): Promise<WindowAnalysisOutcome> {
    if (window.status !== 'DEGRADED') return { status: 'SKIPPED', reason: `window is ${window.status}` };
    const degraded = await db.analysis.findFirst({
      where: { windowId: window.id, mode: 'LOCAL', status: 'DEGRADED' },
      include: { templateVersion: true },
      orderBy: { createdAt: 'desc' },
    });
    if (!degraded) return { status: 'SKIPPED', reason: 'no degraded analysis' };
    const version = degraded.templateVersion;
    const existing = await db.analysis.findUnique({
      where: {
        tenantId_windowId_templateVersionId_mode: {
          tenantId,
          windowId: window.id,
          templateVersionId: version.id,
          mode: 'VLM',
        },
      },
    });
    if (existing && existing.status !== 'RUNNING' && existing.status !== 'FAILED') {
      return { status: 'SKIPPED', reason: 'already re-analysed' };
    }
    if (!this.deps.pool?.canServe(version.modelName)) return { status: 'WAIT', reason: 'no GPU node yet' };
    const frames = await this.loadFrames(db, window);
    if (typeof frames === 'string') return { status: 'SKIPPED', reason: frames };
    const tenant = await this.tenant(tenantId);
    const vlm = await this.runVlm(db, tenantId, window, version, tenant.policyText, frames, signal);
    if (vlm.outcome.kind === 'unavailable') {
      await db.analysis.update({
        where: { id: vlm.analysisId },
        data: { status: 'FAILED', error: vlm.outcome.reason, completedAt: new Date() },
      });
      return { status: 'WAIT', reason: vlm.outcome.reason };
    }
    // The window keeps its local result unless the GPU's succeeded.
    return this.finishVlm(
      db,
      tenantId,
      window,
      vlm.analysisId,
      vlm.outcome,
      frames,
      vlm.outcome.kind === 'done',
    );
  }

  private async loadFrames(db: TenantDb, window: WindowWithContext): Promise<LoadedFrame[] | string> {
    const missing = window.frameIds.filter((id) => !this.frameRows.get(id));
    if (missing.length) {
      for (const row of await db.frame.findMany({ where: { id: { in: missing } } }))
        this.frameRows.set(row.id, row);
    }
    const ordered = window.frameIds.map((id) => this.frameRows.get(id));
    if (ordered.some((row) => !row)) return 'some of the window’s frames no longer exist (retention)';
    const read = async (key: string): Promise<Buffer> => {
      let jpeg = this.jpegs.get(key);
      if (!jpeg) {
        jpeg = await this.deps.store.get(key);
        this.jpegs.set(key, jpeg);
      }
      return jpeg;
    };
    try {
      return await Promise.all(
        ordered.map(async (row) => ({
          id: row!.id,
          jpeg: await read(row!.storageKey),
          capturedAt: row!.capturedAt,
          skippedBefore: row!.skippedBefore,
          width: row!.width,
          height: row!.height,
        })),
      );
    } catch (error) {
      return `a frame could not be read from the frame store: ${(error as Error).message}`;
    }
  }

  private validatorFor(versionId: string, schema: unknown): ValidateFunction {
    let validate = this.validators.get(versionId);
    if (!validate) {
      // A fresh Ajv per version: tenants' schemas must not meet in one registry (see result-schema.ts).
      validate = new Ajv({ strict: false, allErrors: false }).compile(schema as object);
      this.validators.set(versionId, validate);
    }
    return validate;
  }

  private async upsertRunning(
    db: TenantDb,
    tenantId: string,
    window: WindowWithContext,
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
      create: {
        tenantId,
        streamId: window.streamId,
        windowId: window.id,
        templateVersionId: versionId,
        mode,
      },
      update: { status: 'RUNNING', startedAt: new Date(), error: null },
      select: { id: true },
    });
    return row.id;
  }

  private async runVlm(
    db: TenantDb,
    tenantId: string,
    window: WindowWithContext,
    version: PromptVersion & { id: string },
    policyText: string,
    frames: PromptFrame[],
    signal?: AbortSignal,
  ): Promise<{ analysisId: string; outcome: VlmOutcome }> {
    const analysisId = await this.upsertRunning(db, tenantId, window, version.id, 'VLM');
    const channel = TOPICS.analysisReasoning(tenantId, analysisId);
    const publisher = new ReasoningPublisher(
      this.deps.publisher,
      channel,
      TOPICS.analysisReasoningSoFar(tenantId, analysisId),
      analysisId,
    );
    const validate = this.validatorFor(version.id, version.resultSchema);
    try {
      const outcome = await analyseOnNodes(
        this.deps.pool!,
        (budget) => buildChatSpec(version, { streamName: window.stream.name, policyText }, frames, budget),
        {
          maxAttempts: this.deps.config.INFERENCE_MAX_ATTEMPTS,
          requestTimeoutMs: this.deps.config.INFERENCE_REQUEST_TIMEOUT_MS,
          idleTimeoutMs: this.deps.config.INFERENCE_IDLE_TIMEOUT_MS,
          validate: (value) =>
            validate(value)
              ? null
              : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; '),
          onAttempt: (attempt, node) => publisher.attempt(attempt, node),
          onReasoning: (delta) => publisher.delta(delta),
          metrics: this.deps.metrics,
          signal,
        },
      );
      return { analysisId, outcome };
    } finally {
      await publisher.close();
    }
  }

  private async finishVlm(
    db: TenantDb,
    tenantId: string,
    window: WindowWithContext,
    analysisId: string,
    outcome: Exclude<VlmOutcome, { kind: 'unavailable' }>,
    frames: LoadedFrame[],
    setWindowStatus: boolean,
  ): Promise<WindowAnalysisOutcome> {
    const done = outcome.kind === 'done';
    const visionTokens = frames.reduce((sum, frame) => sum + visionTokensOf(frame.width, frame.height), 0);
    const status = done ? 'DONE' : 'FAILED';
    const increment: UsageIncrement = {
      ...(done ? { windowsAnalysed: 1 } : { windowsFailed: 1 }),
      framesSent: frames.length * outcome.attempts,
      visionTokens: visionTokens * outcome.attempts,
      promptTokens: outcome.usage.promptTokens,
      completionTokens: outcome.usage.completionTokens,
      reasoningTokens: outcome.usage.reasoningTokens,
      gpuMs: outcome.usage.gpuMs,
    };
    await db.$transaction([
      db.analysis.update({
        where: { id: analysisId },
        data: {
          status,
          result: done ? (outcome.result as Prisma.InputJsonValue) : undefined,
          reasoning: outcome.reasoning,
          nodeName: outcome.node,
          model: outcome.model,
          finishReason: outcome.finishReason,
          framesSent: frames.length,
          visionTokens,
          promptTokens: outcome.usage.promptTokens,
          completionTokens: outcome.usage.completionTokens,
          reasoningTokens: outcome.usage.reasoningTokens,
          latencyMs: Math.round(outcome.latencyMs),
          attempts: outcome.attempts,
          error: outcome.kind === 'failed' ? outcome.reason : null,
          completedAt: new Date(),
        },
      }),
      ...(setWindowStatus
        ? [
            db.window.update({
              where: { id: window.id },
              data: { status, error: outcome.kind === 'failed' ? outcome.reason : null },
            }),
          ]
        : []),
    ]);
    return this.finished(tenantId, window, analysisId, status, 'VLM', increment);
  }

  /** A local analysis: the whole job in local mode or over budget, the gate's verdict, or the fallback. */
  private async finishLocal(
    db: TenantDb,
    tenantId: string,
    window: WindowWithContext,
    versionId: string,
    frames: LoadedFrame[],
    status: 'DONE' | 'GATED' | 'DEGRADED',
    note: string | null,
    knownDetections: FrameDetection[] | null = null,
    vlmAnalysisId: string | null = null,
  ): Promise<WindowAnalysisOutcome> {
    const analysisId = await this.upsertRunning(db, tenantId, window, versionId, 'LOCAL');
    const started = performance.now();
    let detections: FrameDetection[];
    try {
      detections =
        knownDetections ??
        (await this.deps.local.detect(frames.map((frame) => ({ jpeg: frame.jpeg, key: frame.id }))));
    } catch (error) {
      return this.failWithoutModel(
        db,
        tenantId,
        window,
        versionId,
        `the local detector failed: ${(error as Error).message}`,
        analysisId,
      );
    }
    const latencyMs = performance.now() - started;
    this.deps.metrics?.localDuration.observe(latencyMs / 1000);
    const result = buildLocalResult(frames, detections, {
      nsfwThreshold: this.deps.config.LOCAL_NSFW_THRESHOLD,
    });
    const increment: UsageIncrement =
      status === 'GATED'
        ? { windowsGated: 1 }
        : status === 'DEGRADED'
          ? { windowsDegraded: 1, windowsAnalysed: 1 }
          : { windowsAnalysed: 1 };
    await db.$transaction([
      db.analysis.update({
        where: { id: analysisId },
        data: {
          status,
          result: result as unknown as Prisma.InputJsonValue,
          reasoning: '',
          nodeName: null,
          model: 'local:centernet+nsfwjs',
          latencyMs: Math.round(latencyMs),
          attempts: { increment: 1 },
          error: note,
          completedAt: new Date(),
        },
      }),
      ...(vlmAnalysisId
        ? [
            db.analysis.update({
              where: { id: vlmAnalysisId },
              data: { status: 'FAILED', error: note, completedAt: new Date() },
            }),
          ]
        : []),
      db.window.update({
        where: { id: window.id },
        data: { status, error: status === 'DONE' ? null : note },
      }),
    ]);
    return this.finished(tenantId, window, analysisId, status, 'LOCAL', increment);
  }

  /** The window cannot be analysed at all (frames gone, detector broken): FAILED with the reason. */
  private async failWithoutModel(
    db: TenantDb,
    tenantId: string,
    window: WindowWithContext,
    versionId: string,
    reason: string,
    existingAnalysisId: string | null = null,
  ): Promise<WindowAnalysisOutcome> {
    const analysisId =
      existingAnalysisId ?? (await this.upsertRunning(db, tenantId, window, versionId, 'LOCAL'));
    await db.$transaction([
      db.analysis.update({
        where: { id: analysisId },
        data: { status: 'FAILED', error: reason, completedAt: new Date(), attempts: { increment: 1 } },
      }),
      db.window.update({ where: { id: window.id }, data: { status: 'FAILED', error: reason } }),
    ]);
    return this.finished(tenantId, window, analysisId, 'FAILED', 'LOCAL', { windowsFailed: 1 });
  }

  /**
   * Marks the month as over budget (the API shows it on the tenant's streams) and, when the tenant
   * chose PAUSE, pauses its active streams with the reason, once.
   */
  private async onBudgetExhausted(
    db: TenantDb,
    tenantId: string,
    tenant: {
      budgetExhaustedMonth: string | null;
      overBudgetAction: 'LOCAL' | 'PAUSE';
      monthlyTokenBudget: bigint;
    },
    month: string,
  ): Promise<void> {
    if (tenant.budgetExhaustedMonth === month) return;
    const marked = await this.deps.prisma.tenant.updateMany({
      where: { id: tenantId, OR: [{ budgetExhaustedMonth: null }, { budgetExhaustedMonth: { not: month } }] },
      data: { budgetExhaustedMonth: month },
    });
    if (marked.count === 0) return; // another worker got there first
    const reason = `the monthly token budget (${tenant.monthlyTokenBudget} tokens) is used up`;
    const paused = await db.$transaction(async (tx) => {
      const streams =
        tenant.overBudgetAction === 'PAUSE'
          ? await tx.stream.updateManyAndReturn({
              where: { status: 'ACTIVE' },
              data: { status: 'PAUSED', lastError: `paused: ${reason}` },
              select: { id: true, status: true, lastError: true },
            })
          : [];
      await recordAudit(
        tx,
        { tenantId, kind: 'operator', id: null },
        {
          action: 'tenant.budget-exhausted',
          entityType: 'Tenant',
          entityId: tenantId,
          data: { month, action: tenant.overBudgetAction, streamsPaused: streams.length },
        },
      );
      return streams;
    });
    // Consoles following these streams see the pause and its reason.
    for (const stream of paused) {
      const event: StreamStatusEvent = {
        streamId: stream.id,
        status: stream.status,
        lastError: stream.lastError,
      };
      await publishEvent(this.deps.publisher, TOPICS.streamStatus(tenantId), event).catch(() => undefined);
    }
    this.deps.logger.warn(
      { tenantId, month, action: tenant.overBudgetAction },
      'tenant over its monthly token budget',
    );
  }

  /** After an analysis committed: usage, metrics, and the announcement the rules and consoles wait for. */
  private async finished(
    tenantId: string,
    window: WindowWithContext,
    analysisId: string,
    status: 'DONE' | 'FAILED' | 'GATED' | 'DEGRADED',
    mode: 'VLM' | 'LOCAL',
    increment: UsageIncrement,
  ): Promise<WindowAnalysisOutcome> {
    this.usage.add(tenantId, window.streamId, usageMonth(), increment);
    this.count(tenantId, window.streamId, status, mode, increment);
    await this.announce(tenantId, {
      analysisId,
      windowId: window.id,
      streamId: window.streamId,
      status,
      mode,
    });
    return { status, analysisId, mode };
  }

  private count(
    tenantId: string,
    streamId: string,
    outcome: string,
    mode: string,
    increment: UsageIncrement,
  ): void {
    const metrics = this.deps.metrics;
    if (!metrics) return;
    const labels = { tenant: tenantId, stream: streamId };
    metrics.windows.inc({ ...labels, outcome: outcome.toLowerCase(), mode: mode.toLowerCase() });
    metrics.framesSent.inc(labels, increment.framesSent ?? 0);
    metrics.visionTokens.inc(labels, increment.visionTokens ?? 0);
    metrics.promptTokens.inc(labels, increment.promptTokens ?? 0);
    metrics.completionTokens.inc(labels, increment.completionTokens ?? 0);
    metrics.reasoningTokens.inc(labels, increment.reasoningTokens ?? 0);
    metrics.gpuSeconds.inc(labels, (increment.gpuMs ?? 0) / 1000);
  }

  private async announce(tenantId: string, message: AnalysisFinishedMessage): Promise<void> {
    try {
      await publishEvent(this.deps.publisher, TOPICS.analysesFinished(tenantId), message);
    } catch (error) {
      // The row is the truth; a lost notice only delays what the console shows.
      this.deps.logger.warn({ err: error, analysisId: message.analysisId }, 'could not announce an analysis');
    }
    if (this.deps.scheduleRules && (message.status === 'DONE' || message.status === 'DEGRADED')) {
      // Not fatal: the analysis stays unevaluated (rulesEvaluatedAt null) in PostgreSQL.
      await this.deps
        .scheduleRules(tenantId, message.analysisId)
        .catch((error: unknown) =>
          this.deps.logger.error({ err: error, analysisId: message.analysisId }, 'could not queue the rules'),
        );
    }
  }
}

/** Batches reasoning deltas onto one analysis's channel. Publishing never fails the analysis. */
class ReasoningPublisher {
  private buffer = '';
  private attemptNo = 0;
  /** Characters of the current attempt's reasoning already published. */
  private published = 0;
  private timer: NodeJS.Timeout | null = null;
  private pending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly channel: string,
    private readonly soFarKey: string,
    private readonly analysisId: string,
  ) {}

  attempt(attempt: number, node: string): void {
    this.flush();
    this.attemptNo = attempt;
    this.published = 0;
    this.send({ type: 'attempt', analysisId: this.analysisId, attempt, node }, (batch) =>
      batch.set(this.soFarKey, '', 'EX', REASONING_SO_FAR_TTL_SECONDS),
    );
  }

  delta(text: string): void {
    this.buffer += text;
    this.timer ??= setTimeout(() => this.flush(), REASONING_FLUSH_MS);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.buffer) return;
    const text = this.buffer;
    this.buffer = '';
    const offset = this.published;
    this.published += text.length;
    // Appended before it is announced: whoever reads the key after hearing a delta has that text.
    this.send(
      { type: 'delta', analysisId: this.analysisId, attempt: this.attemptNo, offset, text },
      (batch) => batch.append(this.soFarKey, text).expire(this.soFarKey, REASONING_SO_FAR_TTL_SECONDS),
    );
  }

  private send(message: ReasoningMessage, store?: (batch: ChainableCommander) => ChainableCommander): void {
    this.pending = this.pending.then(() => {
      const batch = this.redis.multi();
      store?.(batch);
      return batch
        .publish(this.channel, JSON.stringify(message))
        .exec()
        .catch(() => undefined);
    });
  }

  async close(): Promise<void> {
    this.flush();
    this.send({ type: 'end', analysisId: this.analysisId, status: 'finished' });
    await this.pending;
  }
}
