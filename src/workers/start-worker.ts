import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { AppConfig } from '../config/config';
import { createPrismaClient } from '../db/prisma-client';
import { StreamLeases } from '../ingest/stream-leases';
import { startStreamRunner } from '../ingest/stream-runner';
import { StreamSupervisor } from '../ingest/stream-supervisor';
import { InferenceMetrics } from '../inference/inference-metrics';
import { loadNodeDefinitions } from '../inference/gpu/node-registry';
import { BullJobQueue } from '../jobs/bullmq-job-queue';
import type { JobHandlers } from '../jobs/job-queue';
import { QUEUES } from '../jobs/job-registry';
import { createRedis } from '../redis/redis-client';
import { createFrameStore } from '../storage/create-frame-store';
import { createWebhookAgent } from '../webhooks/webhook-sender';
import { webhookEventSink } from '../webhooks/webhook-events';
import { createAnalysisRuntime } from './analysis-runtime';
import { deliverWebhookHandler } from './deliver-webhook.processor';
import { DEFAULT_SERVING, type JobWorkersOptions, startJobWorkers } from './job-workers';
import { windowLeaseFor } from '../analysis/window-lease';
import { purgeExpiredSessionsHandler } from './purge-expired-sessions.processor';
import { purgeOldFramesHandler } from './purge-old-frames.processor';
import { reconcileLostJobs, reconcileLostJobsHandler } from './reconcile-lost-jobs.processor';
import { keepSchedules } from './schedule-keeper';
import { registerWorkerGauges } from './worker-gauges';
import { reviewDeadlinesHandler } from './review-deadlines.processor';
import { closeQuietIncidentsHandler } from './close-quiet-incidents.processor';
import { buildIncidentClipHandler } from './build-incident-clip.processor';
import { IncidentClips } from '../evidence/incident-clip';
import { withIncidentEvidence } from '../evidence/incident-evidence-events';
import { FrameUrlSigner } from '../storage/frame-url';
import { AuditChainService } from '../audit/audit-chain.service';
import { AuditVerificationLock } from '../audit/audit-verification-lock';
import { verifyAuditChainHandler } from './verify-audit-chain.processor';
import { anchorAuditChainsHandler } from './anchor-audit-chains.processor';
import { anchorSignerFrom } from '../audit/audit-anchors';

export interface RunningWorker {
  workerId: string;
  metricsPort: number;
  /** Streams first (their leases are released so other workers take over at once), then the rest. */
  stop(): Promise<void>;
}

/**
 * Everything a worker process runs: the stream supervisor (one sampler per active stream across
 * all workers), the analysis processor (the local detector in a pool of worker threads, the GPU
 * node pool), the maintenance queue (lost-job reconciliation, review deadlines, session purge,
 * frame retention; its schedules re-asserted on a timer) and the audit queue (chain verifications,
 * anchors of chain heads), with
 * Prometheus metrics on WORKER_METRICS_PORT. The worker process and the demo both start it.
 */
export interface StartWorkerOptions {
  /** Over the queues' defaults and ANALYSIS_CONCURRENCY: fault tests shorten the analysis lock. */
  serving?: JobWorkersOptions['serving'];
}

export async function startWorker(
  config: AppConfig,
  baseLogger: Logger,
  options: StartWorkerOptions = {},
): Promise<RunningWorker> {
  const workerId = randomUUID();
  const logger = baseLogger.child({ workerId });
  const prisma = createPrismaClient(config.DATABASE_URL, { auditMacKeys: config.AUDIT_MAC_KEYS });
  const connection = createRedis(config.REDIS_URL, { forWorkers: true, name: 'vigil-worker' });

  const jobs = new BullJobQueue(connection, config, {
    onError: (error, queue) => logger.error({ queue, err: error }, 'job queue error'),
  });
  await jobs.assertSchedules();
  const schedules = keepSchedules(jobs, logger);
  const frameStore = createFrameStore(config);

  // Work whose jobs Redis lost is queued again before anything else.
  const reconciled = await reconcileLostJobs(prisma, jobs);
  logger.info(reconciled, 'lost jobs reconciled');

  const supervisor = new StreamSupervisor(
    prisma,
    new StreamLeases(connection, workerId, config.STREAM_LEASE_MS),
    (stream, lease) =>
      startStreamRunner(
        { prisma, store: frameStore, jobs, config, logger, publisher: connection },
        stream,
        lease,
      ),
    logger,
    { tickMs: config.SUPERVISOR_TICK_MS, maxStreams: config.WORKER_MAX_STREAMS },
  );
  supervisor.start();

  const analysisServing = {
    ...DEFAULT_SERVING[QUEUES.analysis],
    concurrency: config.ANALYSIS_CONCURRENCY,
    ...options.serving?.[QUEUES.analysis],
  };
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vigil_worker_' });
  const analysis = await createAnalysisRuntime({
    config,
    prisma,
    connection,
    jobs,
    store: frameStore,
    logger,
    workerId,
    metrics: new InferenceMetrics(registry),
    // BullMQ's own lock lasts 30 s where the serving sets none.
    windowLeaseMs: windowLeaseFor(analysisServing.lockDurationMs ?? 30_000),
    loadNodes: () =>
      loadNodeDefinitions(prisma, config, (problems) =>
        logger.warn({ problems }, 'registered GPU nodes left out of the pool'),
      ),
  });
  registerWorkerGauges(registry, jobs, () => analysis.pool?.status() ?? []);
  const webhookAgent = createWebhookAgent(config);
  const clips = new IncidentClips(frameStore, {
    ffmpegPath: config.FFMPEG_PATH,
    fontFile: config.CLIP_FONT_FILE || undefined,
  });
  // Closing an incident queues its clip; partners get a signed link when the API's URL is known.
  const incidentWebhooks = withIncidentEvidence(webhookEventSink(prisma, jobs), {
    jobs,
    signer: config.FRAME_URL_SECRET ? new FrameUrlSigner(config.FRAME_URL_SECRET) : null,
    publicUrl: config.PUBLIC_URL,
  });
  // The audit chain's keys and anchor signer come from the configuration, never from the database.
  const anchorSigner = anchorSignerFrom(config);
  const auditChain = new AuditChainService({
    prisma,
    macKeys: config.AUDIT_MAC_KEYS,
    anchors: anchorSigner ? { store: frameStore, signer: anchorSigner } : null,
  });
  // Every job of the table has its handler here: a missing one does not compile.
  const handlers: JobHandlers = {
    ...analysis.handlers,
    deliverWebhook: deliverWebhookHandler({ prisma, config, agent: webhookAgent, logger }, logger),
    purgeExpiredSessions: purgeExpiredSessionsHandler(prisma),
    reconcileLostJobs: reconcileLostJobsHandler(prisma, jobs),
    reviewDeadlines: reviewDeadlinesHandler(prisma, connection),
    closeQuietIncidents: closeQuietIncidentsHandler(prisma, incidentWebhooks),
    buildIncidentClip: buildIncidentClipHandler(prisma, clips, logger),
    purgeOldFrames: purgeOldFramesHandler(prisma, frameStore),
    verifyAuditChain: verifyAuditChainHandler({
      prisma,
      chain: auditChain,
      lock: new AuditVerificationLock(connection),
      logger,
    }),
    anchorAuditChains: anchorAuditChainsHandler({ prisma, store: frameStore, signer: anchorSigner, config }),
  };
  const workers = startJobWorkers(connection, handlers, {
    serving: {
      ...options.serving,
      [QUEUES.analysis]: analysisServing,
    },
    logger,
  });
  const metricsServer = createServer((request, response) => {
    if (request.url === '/metrics') {
      void registry.metrics().then((text) => {
        response.writeHead(200, { 'content-type': registry.contentType });
        response.end(text);
      });
    } else if (request.url === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) =>
    metricsServer.listen(config.WORKER_METRICS_PORT, config.HOST, resolve),
  );
  const metricsPort = (metricsServer.address() as AddressInfo).port;
  logger.info(
    {
      queues: Object.values(QUEUES),
      maxStreams: config.WORKER_MAX_STREAMS,
      inferenceMode: config.INFERENCE_MODE,
      metricsPort,
    },
    'worker started',
  );

  return {
    workerId,
    metricsPort,
    async stop() {
      schedules.stop();
      await supervisor.stop();
      await workers.close();
      await analysis.close();
      metricsServer.close();
      await webhookAgent.close();
      await jobs.close();
      await Promise.allSettled([prisma.$disconnect(), connection.quit()]);
    },
  };
}
