/**
 * Evidence benchmark: a 10-minute incident (2 fps × 600 s = 1,200 frames of 448×256 testsrc,
 * generated with ffmpeg, in windows of 8 frames with stride 4: 300 firings), with the real API
 * running in this process on real PostgreSQL. Measures
 *   - the clip build (ffmpeg child process; frames read from the local frame store), BENCH_RUNS times;
 *   - the evidence package (report JSON and PDF, keyframes, audit proof, zip), once with the clip built;
 *   - while each runs: the API process's event-loop delay (perf_hooks, 1 ms resolution) and the
 *     latency of GET /healthz sent every 20 ms, i.e. whether building blocks the API.
 * Targets: clip ≤ 3 s; event-loop delay p99 ≤ 50 ms while building.
 *
 * Environment: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/vigil_bench_evidence;
 * DROPPED and recreated, its name must contain "bench"), BENCH_REDIS_URL (redis://127.0.0.1:6379/14,
 * flushed), BENCH_SECONDS (600), BENCH_FPS (2), BENCH_RUNS (3).
 *
 *   npm run bench:evidence
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createApiServer } from '../src/api/app';
import { createServices } from '../src/composition/create-services';
import { loadConfig } from '../src/config/config';
import { createPrismaClient } from '../src/db/prisma-client';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { BullJobQueue } from '../src/jobs/bullmq-job-queue';
import { createLogger } from '../src/logging/logger';
import { createRedis } from '../src/redis/redis-client';
import { seedIncidentWithFrames } from '../test/support/incident-evidence';
import { benchApiEnv, freshBenchStores } from './support/bench-data';
import { ms, printTable } from './support/bench-output';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 600);
const FPS = Number(process.env.BENCH_FPS ?? 2);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CLIP_TARGET_MS = 3000;
const LOOP_P99_TARGET_MS = 50;

interface Phase {
  name: string;
  wallMs: number;
  loopP50: number;
  loopP99: number;
  loopMax: number;
  healthP99: number;
  detail: string;
}

const percentile = (values: number[], p: number): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

/** Runs `work` while watching the event loop and pinging the API. */
async function measured(name: string, apiUrl: string, work: () => Promise<string>): Promise<Phase> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const health: number[] = [];
  let running = true;
  const pinger = (async () => {
    while (running) {
      const began = performance.now();
      await fetch(`${apiUrl}/healthz`).then((response) => response.arrayBuffer());
      health.push(performance.now() - began);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  loop.enable();
  const began = performance.now();
  const detail = await work();
  const wallMs = performance.now() - began;
  loop.disable();
  running = false;
  await pinger;
  return {
    name,
    wallMs,
    loopP50: loop.percentile(50) / 1e6,
    loopP99: loop.percentile(99) / 1e6,
    loopMax: loop.max / 1e6,
    healthP99: percentile(health, 99),
    detail,
  };
}

async function main(): Promise<void> {
  const stores = await freshBenchStores('vigil_bench_evidence');
  const frameDir = await mkdtemp(path.join(os.tmpdir(), 'vigil-bench-evidence-'));
  const config = loadConfig({ ...benchApiEnv(stores), FRAME_STORE_DIR: frameDir });
  const prisma = createPrismaClient(stores.databaseUrl);
  const redis = createRedis(stores.redisUrl, { name: 'vigil-bench-evidence' });
  const jobs = new BullJobQueue(redis, config);
  const services = createServices({ prisma, redis, config, jobs });
  const server = await createApiServer({ config, prisma, redis, services, logger: createLogger('silent') });
  const port = await server.listen();
  const apiUrl = `http://127.0.0.1:${port}`;
  try {
    const tenant = await prisma.tenant.create({ data: { slug: 'bench', name: 'Benchmark tenant' } });
    const template = await prisma.promptTemplate.create({
      data: { tenantId: tenant.id, name: 'Lawn watch' },
    });
    const version = await prisma.promptTemplateVersion.create({
      data: {
        tenantId: tenant.id,
        templateId: template.id,
        version: 1,
        systemText: 'You watch a fixed camera.',
        instructionText: 'Answer in JSON.',
        resultSchema: { type: 'object' },
        mode: 'INSTRUCT',
        modelName: 'local',
        temperature: 0.7,
        topP: 0.8,
        topK: 20,
        presencePenalty: 0,
        maxCompletionTokens: 1024,
        thinkingTokenBudget: 0,
      },
    });
    const stream = await prisma.stream.create({
      data: {
        tenantId: tenant.id,
        name: 'Camera 01',
        sourceUrl: 'rtsp://camera.example.net/live',
        kind: 'RTSP',
        templateId: template.id,
      },
    });
    const rule = await prisma.rule.create({
      data: { tenantId: tenant.id, name: 'Person on the lawn', condition: {}, action: {} },
    });
    const seedBegan = performance.now();
    const seeded = await seedIncidentWithFrames({
      prisma,
      store: services.windows.store,
      tenantId: tenant.id,
      streamId: stream.id,
      ruleId: rule.id,
      templateVersionId: version.id,
      frames: SECONDS * FPS,
      fps: FPS,
      windowSize: 8,
    });
    const firings = seeded.windowIds.length;
    console.log(
      `seeded: ${seeded.frameIds.length} frames (448x256), ${firings} windows/firings in ${ms(performance.now() - seedBegan, 0)}`,
    );
    const db = tenantDb(prisma, tenant.id);

    const phases: Phase[] = [];
    for (let run = 1; run <= RUNS; run++) {
      phases.push(
        await measured(`clip build ${run}`, apiUrl, async () => {
          const clip = await services.evidence.clips.build(db, seeded.incidentId);
          if (!clip) throw new Error('no clip built');
          return `${clip.frames} frames, ${(clip.bytes / 1024 / 1024).toFixed(2)} MiB`;
        }),
      );
    }
    phases.push(
      await measured('evidence package', apiUrl, async () => {
        const evidence = await services.evidence.evidencePackage(db, tenant.id, seeded.incidentId);
        return `${evidence.manifest.files.length + 1} files, ${(evidence.zip.length / 1024 / 1024).toFixed(2)} MiB`;
      }),
    );

    console.log(
      `\nEvidence of a ${SECONDS} s incident at ${FPS} fps (${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'cpu'})\n`,
    );
    printTable(
      ['phase', 'wall', 'loop p50', 'loop p99', 'loop max', '/healthz p99', 'output'],
      phases.map((phase) => [
        phase.name,
        ms(phase.wallMs, 0),
        ms(phase.loopP50, 1),
        ms(phase.loopP99, 1),
        ms(phase.loopMax, 1),
        ms(phase.healthP99, 1),
        phase.detail,
      ]),
    );
    const clips = phases.filter((phase) => phase.name.startsWith('clip'));
    const clipMedian = percentile(
      clips.map((phase) => phase.wallMs),
      50,
    );
    const clipLoopP99 = Math.max(...clips.map((phase) => phase.loopP99));
    console.log(
      `\nclip build median ${ms(clipMedian, 0)} (target ≤ ${CLIP_TARGET_MS} ms: ${clipMedian <= CLIP_TARGET_MS ? 'met' : 'MISSED'}); ` +
        `event-loop p99 while building ${ms(clipLoopP99, 1)} (target ≤ ${LOOP_P99_TARGET_MS} ms: ${clipLoopP99 <= LOOP_P99_TARGET_MS ? 'met' : 'MISSED'})`,
    );
  } finally {
    await server.stop();
    await jobs.close();
    await Promise.allSettled([prisma.$disconnect(), redis.quit()]);
    await rm(frameDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
