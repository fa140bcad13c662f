import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { forgetScene } from '../analysis/scene-analysis';
import { startApi } from '../api/start-api';
import { createRedis } from '../redis/redis-client';
import { loadConfig } from '../config/config';
import { migrateDatabase } from '../composition/migrate-database';
import { tenantDb } from '../db/tenant-scoped-db';
import { createLogger } from '../logging/logger';
import { RunningWorker, startWorker } from '../workers/start-worker';
import { DEMO_FPS, DEMO_RULES, DEMO_TENANT_SLUG, DEMO_USERS, DemoSeed, seedDemo } from '../../prisma/seed';
import { DEMO_SCENE } from './demo-scene';
import { demoFootage } from './demo-footage';
import { describeEvents, describeTracks } from './demo-report';

const sceneNames = (kind: 'zone' | 'line'): string =>
  DEMO_SCENE.filter((region) => region.kind === kind)
    .map((region) => `"${region.name}"`)
    .join(', ');

/** The job the audit log names for each replay of the demo footage (no person restarts it). */
const DEMO_REPLAY_JOB = 'demo-footage-replay';

/** How often the demo reports what the worker did, and restarts the footage when it has ended. */
const REPORT_EVERY_MS = 10_000;

/**
 * `npm run demo`: the whole platform on its embedded defaults (local PostgreSQL and Redis, no GPU):
 * migrates, seeds the demo tenant, starts the API and, in the same process, a worker that samples
 * real fixed-camera footage and analyses it with the local CPU detector; prints where to go, how to
 * log in, and what the worker has done so far.
 */
async function main(): Promise<void> {
  const log = (line: string): void => console.log(line);
  const firstConfig = loadConfig({ LOG_LEVEL: 'warn', ...process.env });
  const footage = await demoFootage(firstConfig.FFMPEG_PATH, log);
  // The footage is a file: the demo lets file sources read from its folder, and nothing else.
  const config = loadConfig({
    LOG_LEVEL: 'warn',
    ALLOW_FILE_SOURCES: 'true',
    FILE_SOURCE_ROOT: footage.root,
    WORKER_METRICS_PORT: '0',
    ...process.env,
  });
  const logger = createLogger(config.LOG_LEVEL);
  // Only to forget the demo stream's scene when its footage starts over.
  const redis = createRedis(config.REDIS_URL, { name: 'demo' });
  const report = await migrateDatabase(config);
  let seed: DemoSeed | null = null;
  let worker: RunningWorker | null = null;
  const { port, prisma, services } = await startApi(
    config,
    logger,
    async ({ prisma: client, services: created }) => {
      seed = await seedDemo(client, created, { footageUrl: pathToFileURL(footage.file).href });
    },
    async () => {
      await worker?.stop();
    },
  );
  const demo = seed as unknown as DemoSeed;
  const db = tenantDb(prisma, demo.tenantId);
  const stream = await db.stream.findUniqueOrThrow({ where: { id: demo.streamId } });
  if (stream.status !== 'ACTIVE') await services.streams.transition(db, demo.actor, demo.streamId, 'start');
  worker = await startWorker(config, logger);
  const host = config.HOST === '0.0.0.0' ? 'localhost' : config.HOST;

  console.log(`
Vigil demo is running.
  migrations applied now: ${report.applied.length} (already applied: ${report.alreadyApplied.length})
  Console:      http://${host}:${port}/   (tenant "${DEMO_TENANT_SLUG}"; logins below)
  GraphQL API:  http://${host}:${port}/graphql   (open it in a browser for Apollo Sandbox)
  health:       http://${host}:${port}/readyz    metrics: http://${host}:${port}/metrics
  worker:       inference ${config.INFERENCE_MODE}${config.INFERENCE_MODE === 'local' ? ' (CPU detector, no GPU)' : ''}; metrics http://${host}:${worker.metricsPort}/metrics
  stream:       "Pedestrian walkway" plays ${footage.description}, again each time it ends,
                at ${DEMO_FPS} fps; zones ${sceneNames('zone')} and line ${sceneNames('line')} drawn on it
  rules:        ${DEMO_RULES.map((rule) => `"${rule.name}" (queue ${rule.action.queue})`).join(',\n                ')}

Sign in to the console (or with mutation login(input: {tenantSlug: "${DEMO_TENANT_SLUG}", email, password})) as:
${DEMO_USERS.map((user) => `  ${user.role.padEnd(9)} ${user.email.padEnd(22)} ${user.password}`).join('\n')}
then send the token as "Authorization: Bearer <token>", and ask for example
  { streams { edges { node { name status framesKept windowsAnalysed analyses(first: 1) { edges { node { mode status result } } } } } } }
  { reviewItems(status: [OPEN]) { edges { node { id queue priority incidentId } } } }
and, as the moderator, mutation { claimNextReviewItem(queue: "lawn") { id incidentId } }.
Live: graphql-ws at ws://${host}:${port}/graphql (connection_init payload {"authorization": "Bearer <token>"}).

Press Ctrl+C to stop.`);

  // Events are counted from the windows finished since the previous report, so none is missed
  // between two reports; tracks are those of the latest window.
  let reportedUpTo = new Date();
  const timer = setInterval(() => {
    void (async () => {
      const current = await db.stream.findUniqueOrThrow({ where: { id: demo.streamId } });
      // A file ends; the demo's camera should not.
      if (current.status === 'ENDED') {
        // The footage starts over: its first people are not the last play's tracks.
        await forgetScene(redis, demo.tenantId, demo.streamId);
        await services.streams.replayEnded(db, demo.tenantId, demo.streamId, DEMO_REPLAY_JOB);
      }
      const since = reportedUpTo;
      reportedUpTo = new Date();
      const [latest, finished, incidents, openItems] = await Promise.all([
        db.analysis.findFirst({
          where: { streamId: demo.streamId, status: { not: 'RUNNING' } },
          orderBy: { completedAt: 'desc' },
        }),
        db.analysis.findMany({
          where: { streamId: demo.streamId, completedAt: { gt: since, lte: reportedUpTo } },
          select: { result: true },
        }),
        db.incident.count({ where: { streamId: demo.streamId } }),
        db.reviewItem.count({ where: { streamId: demo.streamId, status: { not: 'RESOLVED' } } }),
      ]);
      console.log(
        `[demo] stream ${current.status}${current.lastError ? ` (${current.lastError})` : ''}: ` +
          `${current.framesKept} frames kept, ${current.framesSkipped} skipped, ${current.windowsAnalysed} windows analysed, ` +
          `${incidents} incidents, ${openItems} review items waiting` +
          (latest ? `; latest ${latest.mode} ${latest.status}: ${describeTracks(latest.result)}` : '') +
          `; in the last ${REPORT_EVERY_MS / 1000} s ${finished.length} windows, ` +
          describeEvents(finished.map((analysis) => analysis.result)),
      );
    })().catch((error: unknown) => logger.warn({ err: error }, 'demo report failed'));
  }, REPORT_EVERY_MS);
  timer.unref();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
