import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { AppConfig } from '../config/config';
import { createPrismaClient } from '../db/prisma-client';
import { StreamLeases } from '../ingest/stream-leases';
import { startStreamRunner } from '../ingest/stream-runner';
import { StreamSupervisor } from '../ingest/stream-supervisor';
import { reconcileWindows } from '../ingest/window-reconciler';
import { loadLocalDetector } from '../inference/local/frame-detector';
import { loadNodeDefinitions } from '../inference/gpu/node-registry';
import { InferenceMetrics } from '../inference/inference-metrics';
import { createRedis } from '../redis/redis-client';
import { createFrameStore } from '../storage/create-frame-store';
import { startAnalysisRuntime } from './analysis-runtime';
import { createMaintenanceQueue, createMaintenanceWorker, scheduleMaintenance } from './maintenance.worker';
import { DEFAULT_JOB_OPTIONS, QUEUES } from '../jobs/job-registry';
import {
  createWebhookAgent,
  createWebhookQueue,
  createWebhookWorker,
  requeuePendingWebhooks,
} from '../webhooks/webhook-delivery.worker';
import { setWebhookQueue } from '../webhooks/webhook-events';

export interface RunningWorker {
  workerId: string;
  metricsPort: number;
  /** Streams first (their leases are released so other workers take over at once), then the rest. */
  stop(): Promise<void>;
}

/**
 * Everything a worker process runs: the stream supervisor (one sampler per active stream across
 * all workers), the analysis processor (local detector, GPU node pool) and the maintenance queue
 * (window reconciliation, session purge, frame retention), with Prometheus metrics on
 * WORKER_METRICS_PORT. The worker process and the demo both start it.
 */
export async function startWorker(config: AppConfig, baseLogger: Logger): Promise<RunningWorker> {
  const workerId = randomUUID();
  const logger = baseLogger.child({ workerId });
  const prisma = createPrismaClient(config.DATABASE_URL);
  const connection = createRedis(config.REDIS_URL, { forWorkers: true, name: 'vigil-worker' });

  const analysisQueue = new Queue(QUEUES.analysis, { connection, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  const maintenance = createMaintenanceQueue(connection);
  await scheduleMaintenance(maintenance);
  const frameStore = createFrameStore(config);
  const maintenanceConnection = connection.duplicate();
  const maintenanceWorker = createMaintenanceWorker(
    maintenanceConnection,
    prisma,
    analysisQueue,
    frameStore,
    connection,
  );
  maintenanceWorker.on('failed', (job, error) => logger.error({ job: job?.name, err: error }, 'job failed'));

  // Windows whose jobs Redis lost are queued again before anything else happens.
  const reconciled = await reconcileWindows(prisma, analysisQueue);
  logger.info(reconciled, 'windows reconciled');

  // Webhooks: the queue recordWebhookEvent uses in this process, and the delivery worker.
  const webhookPolicy = { attempts: config.WEBHOOK_MAX_ATTEMPTS, backoffMs: config.WEBHOOK_BACKOFF_MS };
  const webhookQueue = createWebhookQueue(connection);
  setWebhookQueue(webhookQueue, webhookPolicy);
  const webhookAgent = createWebhookAgent(config);
  const webhookConnection = connection.duplicate();
  const webhookWorker = createWebhookWorker(webhookConnection, {
    prisma,
    config,
    agent: webhookAgent,
    logger,
  });
  webhookWorker.on('failed', (job, error) =>
    logger.debug({ deliveryId: job?.data.deliveryId, err: error.message }, 'webhook attempt failed'),
  );
  const requeued = await requeuePendingWebhooks(prisma, webhookQueue, webhookPolicy);
  if (requeued > 0) logger.info({ requeued }, 'pending webhook deliveries queued again');

  const supervisor = new StreamSupervisor(
    prisma,
    new StreamLeases(connection, workerId, config.STREAM_LEASE_MS),
    (stream) =>
      startStreamRunner(
        { prisma, store: frameStore, analysisQueue, config, logger, publisher: connection },
        stream,
      ),
    logger,
    { tickMs: config.SUPERVISOR_TICK_MS, maxStreams: config.WORKER_MAX_STREAMS },
  );
  supervisor.start();

  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vigil_worker_' });
  const analysis = await startAnalysisRuntime({
    config,
    prisma,
    connection,
    analysisQueue,
    store: frameStore,
    logger,
    workerId,
    metrics: new InferenceMetrics(registry),
    loadNodes: () =>
      loadNodeDefinitions(prisma, config, (problems) =>
        logger.warn({ problems }, 'registered GPU nodes left out of the pool'),
      ),
    loadDetector: () => loadLocalDetector({ minObjectScore: config.LOCAL_MIN_OBJECT_SCORE }),
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
      await supervisor.stop();
      await analysis.close();
      metricsServer.close();
      await maintenanceWorker.close();
      await webhookWorker.close();
      await webhookAgent.close();
      await Promise.all([maintenance.close(), analysisQueue.close(), webhookQueue.close()]);
      await Promise.allSettled([
        prisma.$disconnect(),
        maintenanceConnection.quit(),
        webhookConnection.quit(),
        connection.quit(),
      ]);
    },
  };
}
