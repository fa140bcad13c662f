import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb, type TenantDb } from '../db/tenant-scoped-db';
import type { Prisma } from '../generated/prisma/client';
import type { NodePool } from '../inference/gpu/node-pool';
import { analyseOnNodes, type VlmOutcome } from '../inference/gpu/vlm-analyser';
import {
  buildChatSpec,
  visionTokensOf,
  type PromptVersion,
  type StreamMemory,
} from '../inference/gpu/window-prompt';
import type { InferenceMetrics } from '../inference/inference-metrics';
import { gateIsOff, gateMatches, type AnalysisGate } from '../inference/local/local-result';
import { DEFAULT_SCENE_OPTIONS } from '../inference/local/scene-step';
import type { SceneRegion } from '../inference/local/zone-events';
import { loadScene } from '../streams/stream-scene';
import { RecentMap } from '../util/recent-map';
import { labelVocabulary } from '../rules/label-vocabulary';
import type { FrameAnalyser } from '../inference/local/shared-detector';
import { publishEvent } from '../pubsub/event-bus';
import { redisPublisher } from '../pubsub/live-events';
import { type AnalysisFinishedMessage, TOPICS } from '../pubsub/topics';
import type { FrameStore } from '../storage/frame-store';
import { AnalysisInputs, type LoadedFrame, type VersionRow } from './analysis-inputs';
import {
  failAnalysisAttempt,
  endReanalysis,
  failWindow,
  type FinishedVlm,
  loadWindow,
  type UnfinishedVlm,
  type WindowSent,
  saveFailedAnalysis,
  saveLocalAnalysis,
  saveVlmAnalysis,
  startAnalysis,
  type WindowWithContext,
} from './analysis-records';
import { BudgetPolicy } from './budget-policy';
import { ReasoningPublisher } from './reasoning-publisher';
import { SceneAnalysis, type SceneWindowOutcome } from './scene-analysis';
import { UsageBuffer, usageMonth, type UsageIncrement } from './usage-meter';
import { type ClaimedWindow, claimWindow } from './window-lease';

/**
 * A window being analysed: as the claim read it (with the stream's recent past), or as a
 * re-analysis loaded it (which reads that past when it asks the model).
 */
type AnalysedWindow = Omit<WindowWithContext, 'status'> &
  Partial<Pick<ClaimedWindow, 'previousResult' | 'openIncident' | 'frames'>>;

export interface WindowAnalysisDeps {
  prisma: PrismaClient;
  store: FrameStore;
  /** Publishes reasoning and finished analyses; a plain (non-subscriber) connection. */
  publisher: Redis;
  local: FrameAnalyser;
  /** Null with INFERENCE_MODE=local: no GPU at all. */
  pool: NodePool | null;
  config: Pick<
    AppConfig,
    | 'INFERENCE_MODE'
    | 'INFERENCE_MAX_ATTEMPTS'
    | 'INFERENCE_REQUEST_TIMEOUT_MS'
    | 'INFERENCE_IDLE_TIMEOUT_MS'
    | 'INFERENCE_MAX_REASONING_CHARS'
    | 'INFERENCE_MAX_ANSWER_CHARS'
    | 'LOCAL_NSFW_THRESHOLD'
    | 'LOCAL_NSFW_INTERVAL_MS'
  >;
  logger: Logger;
  metrics?: InferenceMetrics;
  /** Schedules a GPU analysis of a window that was analysed locally while every node was down. */
  scheduleReanalysis?: (tenantId: string, windowId: string) => Promise<void>;
  /** Queues the tenant's rules on a finished analysis (the rules queue, job id = analysis id). */
  scheduleRules?: (tenantId: string, analysisId: string) => Promise<void>;
  /** How long a job's hold on its window lasts unless renewed (window-lease.ts; 30 s by default). */
  windowLeaseMs?: number;
}

export type WindowAnalysisOutcome =
  | { status: 'DONE' | 'FAILED' | 'GATED' | 'DEGRADED'; analysisId: string; mode: 'VLM' | 'LOCAL' }
  | { status: 'SKIPPED'; reason: string }
  /** Another job holds the window (window-lease.ts): ask again after `retryInMs`. */
  | { status: 'HELD'; reason: string; retryInMs: number }
  /** A re-analysis found no node yet: try again later. */
  | { status: 'WAIT'; reason: string };

const LOCAL_MODEL = 'local:centernet+nsfwjs+tracker';

/** The frames of a window's request and their image tokens. */
function sentOf(frames: readonly LoadedFrame[]): WindowSent {
  return {
    frames: frames.length,
    visionTokens: frames.reduce((sum, frame) => sum + visionTokensOf(frame.width, frame.height), 0),
  };
}

/** What a window's GPU requests cost, whatever came of them: every request carried every frame. */
function gpuSpend(outcome: VlmOutcome, frames: readonly LoadedFrame[]): UsageIncrement {
  const sent = sentOf(frames);
  return {
    framesSent: sent.frames * outcome.attempts,
    visionTokens: sent.visionTokens * outcome.attempts,
    promptTokens: outcome.usage.promptTokens,
    completionTokens: outcome.usage.completionTokens,
    reasoningTokens: outcome.usage.reasoningTokens,
    estimatedTokens: outcome.usage.estimatedTokens,
    gpuMs: outcome.usage.gpuMs,
  };
}

/**
 * How one window is analysed, from its Window row to its Analysis row:
 * 1. no template, or frames gone: FAILED with the reason;
 * 2. local mode, or the tenant's token budget used up: the local analyser (DONE), which steps the
 *    stream's scene (motion, detector, tracks, zone events: scene-analysis.ts);
 * 3. the template's gate (the scene's confirmed objects) does not match: GATED, the GPU is not
 *    asked, and the local result still feeds the rules, so temporal rules see every window;
 * 4. the GPU nodes: DONE or FAILED; when no node can answer, the local analyser stands in
 *    (DEGRADED) and, if the template asks, a re-analysis on the GPU is scheduled.
 * Then usage, metrics, the announcement consoles wait for and the tenant's rules.
 * Idempotent: a job that runs twice updates one Analysis row; a finished window is left alone.
 */
/** A stored result's one-line finding: its root cause, else nothing (a quiet window says nothing). */
function summaryOf(result: Prisma.JsonValue | undefined): string | null {
  if (!result || typeof result !== 'object' || Array.isArray(result)) return null;
  const rootCause = (result as { rootCause?: unknown }).rootCause;
  return typeof rootCause === 'string' && rootCause.trim() ? rootCause.trim().slice(0, 500) : null;
}

export class WindowAnalysis {
  readonly usage: UsageBuffer;
  private readonly inputs: AnalysisInputs;
  private readonly budget: BudgetPolicy;
  private readonly scene: SceneAnalysis;
  /** Scene versions never change once saved: kept by stream and version. */
  private readonly scenes = new RecentMap<{ version: number; regions: SceneRegion[] }>(256);

  constructor(private readonly deps: WindowAnalysisDeps) {
    this.inputs = new AnalysisInputs(deps.prisma, deps.store);
    this.scene = new SceneAnalysis({
      redis: deps.publisher,
      detect: (frames) => deps.local.detect(frames),
      options: { ...DEFAULT_SCENE_OPTIONS, nsfwIntervalMs: deps.config.LOCAL_NSFW_INTERVAL_MS },
    });
    this.budget = new BudgetPolicy(deps.prisma, redisPublisher(deps.publisher), deps.logger);
    this.usage = new UsageBuffer(deps.prisma, (error) =>
      deps.logger.error({ err: error }, 'could not write usage counters'),
    );
  }

  async analyse(
    tenantId: string,
    windowId: string,
    options: { reanalysis?: boolean; signal?: AbortSignal } = {},
  ): Promise<WindowAnalysisOutcome> {
    const db = tenantDb(this.deps.prisma, tenantId);
    if (options.reanalysis) {
      const window = await loadWindow(db, windowId);
      if (!window) return { status: 'SKIPPED', reason: 'window not found (deleted)' };
      const outcome = await this.reanalyse(db, tenantId, window, options.signal);
      // Until it ends, the window stays wanted: a lost job is queued again from PostgreSQL.
      if (outcome.status !== 'WAIT') await endReanalysis(db, window.id);
      return outcome;
    }
    // The claim is the first statement: it reads what the analysis needs of the window as it takes it.
    const claim = await claimWindow(db, windowId, {
      leaseMs: this.deps.windowLeaseMs,
      onRenewError: (err) => this.deps.logger.warn({ err, windowId }, 'could not renew a window lease'),
    });
    if (!claim.held) {
      if (claim.busy)
        return { status: 'HELD', reason: 'another job is analysing this window', retryInMs: claim.retryInMs };
      return claim.status === null
        ? { status: 'SKIPPED', reason: 'window not found (deleted)' }
        : { status: 'SKIPPED', reason: `window already ${claim.status}` };
    }
    const window = claim.window;
    const versionId = window.stream.template?.activeVersionId ?? null;
    if (!versionId) {
      await claim.lease.end();
      await failWindow(db, window.id, 'the stream has no prompt template: set one to analyse its windows');
      this.usage.add(tenantId, window.streamId, usageMonth(), { windowsFailed: 1 });
      return { status: 'SKIPPED', reason: 'no template' };
    }
    let failed = false;
    try {
      const signal = options.signal
        ? AbortSignal.any([options.signal, claim.lease.signal])
        : claim.lease.signal;
      const version = await this.inputs.version(db, versionId);
      return await this.analyseHeld(db, tenantId, window, version, signal);
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      // After a thrown attempt the queue's retry must be able to claim the window at once.
      await claim.lease.end({ release: failed });
    }
  }

  /** The first analysis of a window this job holds (its lease): local, gated, GPU or degraded. */
  private async analyseHeld(
    db: TenantDb,
    tenantId: string,
    window: AnalysedWindow,
    version: VersionRow,
    signal: AbortSignal,
  ): Promise<WindowAnalysisOutcome> {
    const frames = await this.inputs.frames(db, window.frameIds, window.frames);
    if (typeof frames === 'string') return this.failWithoutModel(db, tenantId, window, version.id, frames);

    const tenant = await this.inputs.tenant(tenantId);
    if (this.deps.config.INFERENCE_MODE === 'local' || !this.deps.pool) {
      return this.finishLocal(db, tenantId, window, version.id, frames, 'DONE', null);
    }
    if (!(await this.budget.allowsGpu(db, tenantId, tenant, usageMonth()))) {
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
    let scene: SceneWindowOutcome | null = null;
    if (!gateIsOff(gate)) {
      scene = await this.sceneOf(db, tenantId, window, frames);
      const decision = gateMatches(gate, scene.detections, {
        nsfwThreshold: this.deps.config.LOCAL_NSFW_THRESHOLD,
      });
      if (!decision.matched) {
        const reasons = decision.reasons.join('; ');
        return this.finishLocal(db, tenantId, window, version.id, frames, 'GATED', reasons, scene);
      }
    }

    const vlm = await this.runVlm(db, tenantId, window, version, tenant.policyText, frames, signal);
    // The lease was taken over (this job stalled past it): the job that holds it writes the result.
    if (signal.aborted) throw signal.reason;
    if (vlm.outcome.kind === 'unavailable') {
      const outcome = await this.finishLocal(
        db,
        tenantId,
        window,
        version.id,
        frames,
        'DEGRADED',
        `analysed locally: ${vlm.outcome.reason}`,
        scene,
        { analysisId: vlm.analysisId, outcome: vlm.outcome, sent: sentOf(frames) },
        version.reanalyseDegraded,
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
    const frames = await this.inputs.frames(db, window.frameIds);
    if (typeof frames === 'string') return { status: 'SKIPPED', reason: frames };
    const tenant = await this.inputs.tenant(tenantId);
    const vlm = await this.runVlm(db, tenantId, window, version, tenant.policyText, frames, signal);
    if (vlm.outcome.kind === 'unavailable') {
      await failAnalysisAttempt(
        db,
        { analysisId: vlm.analysisId, outcome: vlm.outcome, sent: sentOf(frames) },
        vlm.outcome.reason,
      );
      // Requests may have gone out before every node became unavailable: they are metered.
      if (vlm.outcome.attempts > 0) {
        this.usage.add(tenantId, window.streamId, usageMonth(), gpuSpend(vlm.outcome, frames));
      }
      return { status: 'WAIT', reason: vlm.outcome.reason };
    }
    // The window keeps its local result unless the GPU's succeeded.
    const succeeded = vlm.outcome.kind === 'done';
    return this.finishVlm(db, tenantId, window, vlm.analysisId, vlm.outcome, frames, succeeded);
  }

  private async runVlm(
    db: TenantDb,
    tenantId: string,
    window: AnalysedWindow,
    version: PromptVersion & { id: string },
    policyText: string,
    frames: LoadedFrame[],
    signal?: AbortSignal,
  ): Promise<{ analysisId: string; outcome: VlmOutcome }> {
    const analysisId = await startAnalysis(db, tenantId, window, version.id, 'VLM');
    const memory = await this.memoryOf(db, tenantId, window);
    const labels = [...labelVocabulary((await this.inputs.tenant(tenantId)).customLabels).labels];
    const reasoning = new ReasoningPublisher(
      this.deps.publisher,
      TOPICS.analysisReasoning(tenantId, analysisId),
      TOPICS.analysisReasoningSoFar(tenantId, analysisId),
      analysisId,
    );
    try {
      const outcome = await analyseOnNodes(
        this.deps.pool!,
        (budget) =>
          buildChatSpec(
            version,
            { streamName: window.stream.name, policyText, memory, labels },
            frames,
            budget,
          ),
        {
          maxAttempts: this.deps.config.INFERENCE_MAX_ATTEMPTS,
          requestTimeoutMs: this.deps.config.INFERENCE_REQUEST_TIMEOUT_MS,
          idleTimeoutMs: this.deps.config.INFERENCE_IDLE_TIMEOUT_MS,
          validate: this.inputs.resultValidator(version.id, version.resultSchema),
          caps: {
            reasoningChars: this.deps.config.INFERENCE_MAX_REASONING_CHARS,
            contentChars: this.deps.config.INFERENCE_MAX_ANSWER_CHARS,
          },
          onAttempt: (attempt, node) => reasoning.attempt(attempt, node),
          onReasoning: (delta) => reasoning.delta(delta),
          metrics: this.deps.metrics,
          signal,
        },
      );
      return { analysisId, outcome };
    } finally {
      await reasoning.close();
    }
  }

  private async finishVlm(
    db: TenantDb,
    tenantId: string,
    window: AnalysedWindow,
    analysisId: string,
    outcome: FinishedVlm,
    frames: LoadedFrame[],
    setWindowStatus: boolean,
  ): Promise<WindowAnalysisOutcome> {
    const status = await saveVlmAnalysis(db, window.id, analysisId, outcome, sentOf(frames), setWindowStatus);
    const increment: UsageIncrement = {
      ...(status === 'DONE' ? { windowsAnalysed: 1 } : { windowsFailed: 1 }),
      ...gpuSpend(outcome, frames),
    };
    return this.finished(tenantId, window, analysisId, status, 'VLM', increment);
  }

  /** A local analysis: the whole job in local mode or over budget, the gate's verdict, or the fallback. */
  private async finishLocal(
    db: TenantDb,
    tenantId: string,
    window: AnalysedWindow,
    versionId: string,
    frames: LoadedFrame[],
    status: 'DONE' | 'GATED' | 'DEGRADED',
    note: string | null,
    knownScene: SceneWindowOutcome | null = null,
    unfinishedVlm: UnfinishedVlm | null = null,
    wantsReanalysis = false,
  ): Promise<WindowAnalysisOutcome> {
    const analysisId = await startAnalysis(db, tenantId, window, versionId, 'LOCAL');
    const started = performance.now();
    let scene: SceneWindowOutcome;
    try {
      scene = knownScene ?? (await this.sceneOf(db, tenantId, window, frames));
    } catch (error) {
      const reason = `the local detector failed: ${(error as Error).message}`;
      return this.failWithoutModel(db, tenantId, window, versionId, reason, analysisId);
    }
    const latencyMs = performance.now() - started;
    this.deps.metrics?.localDuration.observe(latencyMs / 1000);
    await saveLocalAnalysis(db, window.id, analysisId, {
      status,
      result: scene.result as unknown as Prisma.InputJsonValue,
      model: LOCAL_MODEL,
      latencyMs,
      note,
      replacesVlm: unfinishedVlm,
      wantsReanalysis,
    });
    const increment: UsageIncrement =
      status === 'GATED'
        ? { windowsGated: 1 }
        : status === 'DEGRADED'
          ? {
              windowsDegraded: 1,
              windowsAnalysed: 1,
              // What the nodes were sent before none could take the window is spent all the same.
              ...(unfinishedVlm ? gpuSpend(unfinishedVlm.outcome, frames) : {}),
            }
          : { windowsAnalysed: 1 };
    return this.finished(tenantId, window, analysisId, status, 'LOCAL', increment);
  }

  /**
   * What the model is told of the stream before its frames: the scene's tracks and latest events
   * (kept up to date where the gate runs the local analyser), the previous window's finding and
   * the open incident. Absent when nothing is known yet.
   */
  private async memoryOf(
    db: TenantDb,
    tenantId: string,
    window: AnalysedWindow,
  ): Promise<StreamMemory | undefined> {
    const { regions } = await this.regionsOf(db, window);
    const [scene, past] = await Promise.all([
      this.scene.memory(tenantId, window.streamId, regions),
      this.pastOf(db, window),
    ]);
    const { previous, incident } = past;
    const previousSummary = summaryOf(previous?.result);
    if (!scene && !previousSummary && !incident) return undefined;
    return {
      activeTracks: scene?.activeTracks ?? [],
      recentEvents: scene?.recentEvents ?? [],
      previousSummary,
      openIncident: incident
        ? { summary: incident.summary, severity: incident.severity, since: incident.startAt }
        : null,
    };
  }

  /**
   * The stream's latest finished analysis (of another window) and its open incident: as the claim
   * read them, else (a re-analysis) read now.
   */
  private async pastOf(
    db: TenantDb,
    window: AnalysedWindow,
  ): Promise<{
    previous: { result: Prisma.JsonValue | null } | null;
    incident: { summary: string; severity: string | null; startAt: Date } | null;
  }> {
    if (window.previousResult !== undefined && window.openIncident !== undefined) {
      return { previous: { result: window.previousResult }, incident: window.openIncident };
    }
    const [previous, incident] = await Promise.all([
      db.analysis.findFirst({
        where: {
          streamId: window.streamId,
          status: { in: ['DONE', 'DEGRADED', 'GATED'] },
          windowId: { not: window.id },
        },
        orderBy: { completedAt: 'desc' },
        select: { result: true },
      }),
      db.incident.findFirst({
        where: { streamId: window.streamId, status: 'OPEN' },
        orderBy: { lastFiredAt: 'desc' },
        select: { summary: true, severity: true, startAt: true },
      }),
    ]);
    return { previous, incident };
  }

  /** The zones and lines the stream had when its window was loaded (version 0: none). */
  private async regionsOf(
    db: TenantDb,
    window: AnalysedWindow,
  ): Promise<{ version: number; regions: SceneRegion[] }> {
    const version = window.stream.sceneVersion;
    if (version === 0) return { version: 0, regions: [] };
    const key = `${window.streamId}:${version}`;
    let scene = this.scenes.get(key);
    if (!scene) {
      scene = await loadScene(db, window.streamId, version);
      this.scenes.set(key, scene);
    }
    return scene;
  }

  /** Steps the stream's scene over the window's frames (its zones and lines as of now). */
  private async sceneOf(
    db: TenantDb,
    tenantId: string,
    window: AnalysedWindow,
    frames: LoadedFrame[],
  ): Promise<SceneWindowOutcome> {
    return this.scene.analyseWindow(
      tenantId,
      window.streamId,
      frames,
      await this.regionsOf(db, window),
      this.deps.config.LOCAL_NSFW_THRESHOLD,
    );
  }

  /** The window cannot be analysed at all (frames gone, detector broken): FAILED with the reason. */
  private async failWithoutModel(
    db: TenantDb,
    tenantId: string,
    window: AnalysedWindow,
    versionId: string,
    reason: string,
    existingAnalysisId: string | null = null,
  ): Promise<WindowAnalysisOutcome> {
    const analysisId = existingAnalysisId ?? (await startAnalysis(db, tenantId, window, versionId, 'LOCAL'));
    await saveFailedAnalysis(db, window.id, analysisId, reason);
    return this.finished(tenantId, window, analysisId, 'FAILED', 'LOCAL', { windowsFailed: 1 });
  }

  /** After an analysis committed: usage, metrics, and the announcement the rules and consoles wait for. */
  private async finished(
    tenantId: string,
    window: AnalysedWindow,
    analysisId: string,
    status: 'DONE' | 'FAILED' | 'GATED' | 'DEGRADED',
    mode: 'VLM' | 'LOCAL',
    increment: UsageIncrement,
  ): Promise<WindowAnalysisOutcome> {
    this.usage.add(tenantId, window.streamId, usageMonth(), increment);
    this.deps.metrics?.countWindow(tenantId, window.streamId, status, mode, increment);
    await this.announce(tenantId, {
      analysisId,
      windowId: window.id,
      streamId: window.streamId,
      status,
      mode,
    });
    return { status, analysisId, mode };
  }

  private async announce(tenantId: string, message: AnalysisFinishedMessage): Promise<void> {
    try {
      await publishEvent(this.deps.publisher, TOPICS.analysesFinished(tenantId), message);
    } catch (error) {
      // The row is the truth; a lost notice only delays what the console shows.
      this.deps.logger.warn({ err: error, analysisId: message.analysisId }, 'could not announce an analysis');
    }
    if (this.deps.scheduleRules && message.status !== 'FAILED') {
      // Not fatal: the analysis stays unevaluated (rulesEvaluatedAt null) in PostgreSQL.
      await this.deps
        .scheduleRules(tenantId, message.analysisId)
        .catch((error: unknown) =>
          this.deps.logger.error({ err: error, analysisId: message.analysisId }, 'could not queue the rules'),
        );
    }
  }
}
