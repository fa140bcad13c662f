import { Queue, type Worker } from 'bullmq';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config';
import type { PrismaClient } from '../db/prisma-client';
import { LocalAnalyser } from '../inference/local/shared-detector';
import type { LocalDetector } from '../inference/local/frame-detector';
import type { NodeDefinition } from '../config/node-definition';
import { NodePool } from '../inference/gpu/node-pool';
import { publishNodeStatus } from '../inference/gpu/node-status-board';
import { WindowAnalysis } from '../inference/window-analysis';
import type { InferenceMetrics } from '../inference/inference-metrics';
import { TOPICS } from '../pubsub/topics';
import type { FrameStore } from '../storage/frame-store';
import { RulesRunner } from '../rules/rules-runner';
import { createAnalysisWorker, scheduleReanalysis } from './analysis.worker';
import type { AnalyseWindowPayload, EvaluateRulesPayload } from '../jobs/job-registry';
import { createRulesQueue, createRulesWorker, scheduleRules } from './rules.worker';

/** Even without a change notice, workers re-read the node list this often. */
export const NODE_RELOAD_EVERY_MS = 30_000;

export interface AnalysisRuntimeDeps {
  config: AppConfig;
  prisma: PrismaClient;
  /** A BullMQ-ready connection (maxRetriesPerRequest null); duplicated for the worker and subscriber. */
  connection: Redis;
  analysisQueue: Queue;
  store: FrameStore;
  logger: Logger;
  workerId: string;
  metrics?: InferenceMetrics;
  /** Config nodes plus registered ones (src/inference/node-registry.ts). */
  loadNodes: () => Promise<NodeDefinition[]>;
  loadDetector: () => Promise<LocalDetector>;
  /** How long a re-analysis of a degraded window waits for a GPU node (30 s; shorter in tests). */
  reanalysisDelayMs?: number;
}

export interface AnalysisRuntime {
  worker: Worker<AnalyseWindowPayload>;
  pool: NodePool | null;
  analysis: WindowAnalysis;
  /** The rules engine on finished analyses (queue vigil-rules). */
  rules: RulesRunner;
  rulesWorker: Worker<EvaluateRulesPayload>;
  /** Re-reads the node list now (also done on every change notice and every 30 s). */
  reloadNodes(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Everything that analyses windows in a worker process: the node pool (with INFERENCE_MODE=vlm),
 * the local detector, the analysis processor on the BullMQ queue, the node list's reloads and the
 * reports of node status for the API.
 */
export async function startAnalysisRuntime(deps: AnalysisRuntimeDeps): Promise<AnalysisRuntime> {
  const { config, logger } = deps;
  const local = new LocalAnalyser(deps.loadDetector);
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

  const rulesQueue = createRulesQueue(deps.connection);
  const rules = new RulesRunner({ prisma: deps.prisma, redis: deps.connection, logger });
  const rulesConnection = deps.connection.duplicate();
  const rulesWorker = createRulesWorker(rulesConnection, rules, logger);
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
      scheduleReanalysis(deps.analysisQueue, tenantId, windowId, deps.reanalysisDelayMs),
    scheduleRules: (tenantId, analysisId) => scheduleRules(rulesQueue, tenantId, analysisId),
  });
  const workerConnection = deps.connection.duplicate();
  const worker = createAnalysisWorker(
    workerConnection,
    deps.prisma,
    analysis,
    logger,
    config.ANALYSIS_CONCURRENCY,
    deps.reanalysisDelayMs,
  );

  return {
    worker,
    pool,
    analysis,
    rules,
    rulesWorker,
    reloadNodes,
    async close() {
      for (const timer of timers) clearInterval(timer);
      await worker.close();
      await rulesWorker.close();
      await rulesQueue.close();
      await analysis.usage.flush();
      await workerConnection.quit().catch(() => undefined);
      await rulesConnection.quit().catch(() => undefined);
      await subscriber?.quit().catch(() => undefined);
      await pool?.close();
      await local.dispose();
    },
  };
}
