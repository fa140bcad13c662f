import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config';
import type { PrismaClient } from '../db/prisma-client';
import { LocalDetectorPool } from '../inference/local/detector-pool';
import type { FrameAnalyser } from '../inference/local/shared-detector';
import type { NodeDefinition } from '../config/node-definition';
import { NodePool } from '../inference/gpu/node-pool';
import { publishNodeStatus } from '../inference/gpu/node-status-board';
import { WindowAnalysis } from '../analysis/window-analysis';
import type { InferenceMetrics } from '../inference/inference-metrics';
import { TOPICS } from '../pubsub/topics';
import type { FrameStore } from '../storage/frame-store';
import { RulesRunner } from '../rules/rules-runner';
import type { JobHandlers, JobQueue } from '../jobs/job-queue';
import { QUEUES, REANALYSIS_RETRY_MS } from '../jobs/job-registry';
import { webhookEventSink } from '../webhooks/webhook-events';
import { withIncidentEvidence } from '../evidence/incident-evidence-events';
import { FrameUrlSigner } from '../storage/frame-url';
import { analyseWindowHandler } from './analyse-window.processor';
import { evaluateRulesHandler } from './evaluate-rules.processor';
import { type JobWorkers, startJobWorkers } from './job-workers';
import { reanalyseWindowHandler } from './reanalyse-window.processor';

/** Even without a change notice, workers re-read the node list this often. */
export const NODE_RELOAD_EVERY_MS = 30_000;

export interface AnalysisRuntimeDeps {
  config: AppConfig;
  prisma: PrismaClient;
  /** A BullMQ-ready connection (maxRetriesPerRequest null); duplicated for the workers and subscriber. */
  connection: Redis;
  /** The process's queues: re-analyses, rules and webhooks are queued through it. */
  jobs: JobQueue;
  store: FrameStore;
  logger: Logger;
  workerId: string;
  metrics?: InferenceMetrics;
  /** Config nodes plus registered ones (src/inference/gpu/node-registry.ts). */
  loadNodes: () => Promise<NodeDefinition[]>;
  /**
   * The local detector; by default a pool of LOCAL_DETECTOR_THREADS worker threads with the
   * configured scores (started on its first frame). Disposed when the runtime closes.
   */
  local?: FrameAnalyser;
  /** How long a re-analysis of a degraded window waits for a GPU node (30 s; shorter in tests). */
  reanalysisDelayMs?: number;
  /** How long a job's hold on its window lasts unless renewed: under the analysis queue's lock. */
  windowLeaseMs?: number;
}

export type AnalysisHandlers = Pick<JobHandlers, 'analyseWindow' | 'reanalyseWindow' | 'evaluateRules'>;

export interface AnalysisRuntime {
  pool: NodePool | null;
  analysis: WindowAnalysis;
  /** The rules engine on finished analyses (queue vigil-rules). */
  rules: RulesRunner;
  /** The handlers of the analysis and rules queues' jobs, for the process's job workers. */
  handlers: AnalysisHandlers;
  /** Re-reads the node list now (also done on every change notice and every 30 s). */
  reloadNodes(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Everything that analyses windows in a worker process: the node pool (with INFERENCE_MODE=vlm),
 * the local detector, the window analysis and the rules runner with their job handlers, the node
 * list's reloads and the reports of node status for the API.
 */
export async function createAnalysisRuntime(deps: AnalysisRuntimeDeps): Promise<AnalysisRuntime> {
  const { config, logger } = deps;
  const local =
    deps.local ??
    new LocalDetectorPool({
      threads: config.LOCAL_DETECTOR_THREADS,
      minObjectScore: config.LOCAL_MIN_OBJECT_SCORE,
      minScoreByLabel: config.LOCAL_MIN_SCORE_BY_LABEL,
      onError: (error) => logger.error({ err: error }, 'a local detector thread failed'),
    });
  const pool =
    config.INFERENCE_MODE === 'vlm'
      ? new NodePool({
          pollIntervalMs: config.NODE_POLL_INTERVAL_MS,
          breakerFailures: config.NODE_BREAKER_FAILURES,
          breakerOpenMs: config.NODE_BREAKER_OPEN_MS,
          logger,
          metrics: deps.metrics,
        })
      : null;
  const timers: NodeJS.Timeout[] = [];
  let subscriber: Redis | null = null;
  const reloadNodes = async (): Promise<void> => {
    if (!pool) return;
    try {
      pool.setDefinitions(await deps.loadNodes());
    } catch (error) {
      logger.error({ err: error }, 'could not load the GPU node list; keeping the previous one');
    }
  };
  if (pool) {
    await reloadNodes();
    await pool.start();
    const report = (): void => {
      void publishNodeStatus(
        deps.connection,
        deps.workerId,
        pool.status(),
        config.NODE_POLL_INTERVAL_MS * 3,
      ).catch((error: unknown) => logger.warn({ err: error }, 'could not publish node status'));
    };
    report();
    timers.push(
      setInterval(report, config.NODE_POLL_INTERVAL_MS),
      setInterval(() => void reloadNodes(), NODE_RELOAD_EVERY_MS),
    );
    subscriber = deps.connection.duplicate();
    await subscriber.subscribe(TOPICS.inferenceNodesChanged);
    subscriber.on('message', () => void reloadNodes());
    logger.info({ nodes: pool.status().map((node) => node.name) }, 'GPU node pool started');
  }
  for (const timer of timers) timer.unref();

  const rules = new RulesRunner({
    prisma: deps.prisma,
    redis: deps.connection,
    logger,
    // Incidents a new event supersedes close here: their clips are queued, as every closed incident's.
    webhooks: withIncidentEvidence(webhookEventSink(deps.prisma, deps.jobs), {
      jobs: deps.jobs,
      signer: config.FRAME_URL_SECRET ? new FrameUrlSigner(config.FRAME_URL_SECRET) : null,
      publicUrl: config.PUBLIC_URL,
    }),
  });
  const reanalysisDelayMs = deps.reanalysisDelayMs ?? REANALYSIS_RETRY_MS;
  const analysis = new WindowAnalysis({
    prisma: deps.prisma,
    store: deps.store,
    publisher: deps.connection,
    local,
    pool,
    config,
    logger,
    metrics: deps.metrics,
    scheduleReanalysis: (tenantId, windowId) =>
      deps.jobs.add('reanalyseWindow', { tenantId, windowId }, { delayMs: reanalysisDelayMs }),
    scheduleRules: (tenantId, analysisId) => deps.jobs.add('evaluateRules', { tenantId, analysisId }),
    windowLeaseMs: deps.windowLeaseMs,
  });

  return {
    pool,
    analysis,
    rules,
    handlers: {
      analyseWindow: analyseWindowHandler(deps.prisma, analysis, logger),
      reanalyseWindow: reanalyseWindowHandler(analysis, reanalysisDelayMs),
      evaluateRules: evaluateRulesHandler(rules, deps.prisma, logger),
    },
    reloadNodes,
    async close() {
      for (const timer of timers) clearInterval(timer);
      await analysis.usage.flush();
      await subscriber?.quit().catch(() => undefined);
      await pool?.close();
      await local.dispose();
    },
  };
}

export interface StartedAnalysisRuntime extends AnalysisRuntime {
  workers: JobWorkers;
}

/**
 * The analysis runtime with job workers of its own on the analysis and rules queues: for tests and
 * benchmarks that run analysis without the rest of a worker process.
 */
export async function startAnalysisRuntime(
  deps: AnalysisRuntimeDeps & { prefix?: string },
): Promise<StartedAnalysisRuntime> {
  const runtime = await createAnalysisRuntime(deps);
  const workers = startJobWorkers(deps.connection, runtime.handlers, {
    queues: [QUEUES.analysis, QUEUES.rules],
    serving: { [QUEUES.analysis]: { concurrency: deps.config.ANALYSIS_CONCURRENCY } },
    prefix: deps.prefix,
    logger: deps.logger,
  });
  return {
    ...runtime,
    workers,
    async close() {
      await workers.close();
      await runtime.close();
    },
  };
}
