/**
 * Inference benchmark: the analysis worker against N fake GPU nodes (each its own process speaking
 * vLLM's wire contract, with C slots and L ms of model time per request), through the real path:
 * Window rows in PostgreSQL, jobs on BullMQ (Redis), frames from the frame store, the node pool,
 * Analysis rows and usage counters written back.
 *
 * Prints:
 * - Saturation: windows/s against the ideal N*C/L, and each node's mean waiting queue (its
 *   vllm:num_requests_waiting, read every 100 ms). Targets: >= 95% of ideal; <= 2 waiting.
 *   Baseline in the same run: the node pool alone (no database, no queue), to show what the
 *   routing itself reaches.
 * - Orchestration CPU per window (this process's CPU; the nodes run in other processes, so the
 *   model's time is excluded). Target: <= 5 ms.
 * - Failover: one of the nodes killed (SIGKILL) a third of the way in: windows lost (target 0),
 *   and seconds until throughput is back at 3/4 of what it was.
 *
 * Environment: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/vigil_bench_inference;
 * DROPPED and recreated, its name must contain "bench"), BENCH_REDIS_URL (default
 * redis://127.0.0.1:6379/14, flushed), BENCH_NODES (4), BENCH_SLOTS (16), BENCH_LATENCY_MS (800),
 * BENCH_SECONDS (20: length of each run at the ideal rate).
 *
 *   npm run bench:inference
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { link, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import pino from 'pino';
import { Agent } from 'undici';
import { loadConfig } from '../src/config/config';
import { migrate } from '../src/db/migration-runner';
import { createPrismaClient, PrismaClient } from '../src/db/prisma-client';
import { loadLocalDetector } from '../src/inference/local-detector';
import type { NodeDefinition } from '../src/inference/node-definition';
import { NodePool } from '../src/inference/node-pool';
import { analyseOnNodes } from '../src/inference/vlm-analyser';
import { readNodeLoad } from '../src/inference/vllm-client';
import { buildChatSpec } from '../src/inference/window-prompt';
import { createRedis } from '../src/redis/redis-client';
import { frameKey, LocalFrameStore } from '../src/storage/frame-store';
import { DEFAULT_RESULT_SCHEMA } from '../src/templates/result-schema';
import { startAnalysisRuntime } from '../src/workers/analysis-runtime';
import { DEFAULT_JOB_OPTIONS, QUEUES } from '../src/workers/queues';
import { FakeVllmProcess, startFakeVllmProcess } from '../test/support/fake-vllm-process';
import { sampleFile, TEST_MEDIA_DIR, vtestPath } from '../test/support/test-media';
import { recreateDatabase } from './support/bench-data';
import { ms, pct, printTable } from './support/bench-output';
import { machineBusyShare, machineCpu, processCpuSeconds } from './support/ingest-cpu';

const NODES = Number(process.env.BENCH_NODES ?? 4);
const SLOTS = Number(process.env.BENCH_SLOTS ?? 16);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 800);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WINDOW_SIZE = 8;
const MODEL = 'qwen3-vl-8b-thinking';
const IDEAL = (NODES * SLOTS * 1000) / LATENCY_MS;
const logger = pino({ level: 'warn' });

interface Env {
  prisma: PrismaClient;
  databaseUrl: string;
  redisUrl: string;
  store: LocalFrameStore;
  root: string;
  tenantId: string;
  streamId: string;
  /** The 8 stored frames' keys; each run's frames are hard links to them under their own keys. */
  frameKeys: string[];
  nextSequence: number;
  frames: { jpeg: Buffer; capturedAt: Date; skippedBefore: number }[];
}

/** Real camera frames: 8 consecutive frames of vtest.avi through the sampler's own pipeline (2 fps, 448 px). */
async function benchFrames(): Promise<Buffer[]> {
  const vtest = vtestPath();
  if (!vtest)
    throw new Error(`${TEST_MEDIA_DIR}/vtest.avi is missing: run \`bash scripts/fetch-test-media.sh\``);
  const { frames } = await sampleFile(vtest, { fps: 2, inputOptions: ['-ss', '20', '-t', '5'] });
  if (frames.length < WINDOW_SIZE) throw new Error(`only ${frames.length} frames sampled from vtest.avi`);
  return frames.slice(0, WINDOW_SIZE).map((frame) => frame.jpeg);
}

async function setUp(): Promise<Env> {
  const databaseUrl =
    process.env.BENCH_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/vigil_bench_inference';
  const redisUrl = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/14';
  await recreateDatabase(databaseUrl);
  await migrate(databaseUrl);
  const redis = createRedis(redisUrl);
  await redis.flushdb();
  await redis.quit();
  const prisma = createPrismaClient(databaseUrl);
  const root = await mkdtemp(path.join(tmpdir(), 'vigil-bench-inference-'));
  const store = new LocalFrameStore(root);
  const tenant = await prisma.tenant.create({
    data: { slug: 'bench', name: 'Benchmark tenant', monthlyTokenBudget: 10n ** 15n },
  });
  const template = await prisma.promptTemplate.create({ data: { tenantId: tenant.id, name: 'Lawn watch' } });
  const version = await prisma.promptTemplateVersion.create({
    data: {
      tenantId: tenant.id,
      templateId: template.id,
      version: 1,
      systemText: 'You watch a fixed camera and report what happens and why.',
      instructionText: 'Stream {{streamName}}. Answer in JSON.',
      resultSchema: DEFAULT_RESULT_SCHEMA as object,
      mode: 'THINKING',
      modelName: MODEL,
      temperature: 0.6,
      topP: 0.95,
      topK: 20,
      presencePenalty: 0,
      maxCompletionTokens: 4096,
      thinkingTokenBudget: 2048,
    },
  });
  await prisma.promptTemplate.update({ where: { id: template.id }, data: { activeVersionId: version.id } });
  const stream = await prisma.stream.create({
    data: {
      tenantId: tenant.id,
      name: 'Camera 01',
      sourceUrl: 'rtsp://camera.example.net/live',
      kind: 'RTSP',
      templateId: template.id,
    },
  });
  const jpegs = await benchFrames();
  const frameKeys: string[] = [];
  const frames: Env['frames'] = [];
  for (const [sequence, jpeg] of jpegs.entries()) {
    const capturedAt = new Date(Date.UTC(2026, 10, 21, 12, 0, sequence));
    const key = frameKey(tenant.id, stream.id, capturedAt, sequence);
    await store.put(key, jpeg);
    const row = await prisma.frame.create({
      data: {
        tenantId: tenant.id,
        streamId: stream.id,
        sequence,
        capturedAt,
        storageKey: key,
        sha256: createHash('sha256').update(jpeg).digest('hex'),
        width: 448,
        height: 320,
        bytes: jpeg.length,
      },
    });
    frameKeys.push(key);
    void row;
    frames.push({ jpeg, capturedAt, skippedBefore: 0 });
  }
  console.log(
    `Frames: ${WINDOW_SIZE} per window, 448x320 JPEG from vtest.avi, ${(jpegs.reduce((s, j) => s + j.length, 0) / jpegs.length / 1024).toFixed(1)} KB each`,
  );
  return {
    prisma,
    databaseUrl,
    redisUrl,
    store,
    root,
    tenantId: tenant.id,
    streamId: stream.id,
    frameKeys,
    nextSequence: WINDOW_SIZE,
    frames,
  };
}

function nodeDefinitions(fakes: FakeVllmProcess[]): NodeDefinition[] {
  return fakes.map((fake, i) => ({
    name: `gpu-${i + 1}`,
    url: fake.url,
    apiKey: null,
    model: MODEL,
    maxConcurrency: SLOTS,
    weight: 1,
    state: 'ACTIVE',
    source: 'config',
  }));
}

/** Samples every node's own waiting queue (its /metrics) every 100 ms. */
function watchWaiting(fakes: FakeVllmProcess[]): () => number[] {
  const dispatcher = new Agent();
  const sums = fakes.map(() => 0);
  const counts = fakes.map(() => 0);
  let stopped = false;
  const loop = async (): Promise<void> => {
    while (!stopped) {
      await Promise.all(
        fakes.map(async (fake, i) => {
          try {
            const load = await readNodeLoad(
              { name: `n${i}`, url: fake.url, apiKey: null },
              dispatcher,
              1_000,
            );
            sums[i]! += load.waiting;
            counts[i]! += 1;
          } catch {
            // a killed node: no sample
          }
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  void loop();
  return () => {
    stopped = true;
    void dispatcher.close();
    return sums.map((sum, i) => (counts[i] ? sum / counts[i]! : 0));
  };
}

interface Run {
  windows: number;
  seconds: number;
  perSecond: number;
  cpuMsPerWindow: number;
  meanWaiting: number[];
  completions: number[];
  /** Share of the machine's cores busy during the run (every process: nodes, PostgreSQL, Redis, this). */
  machineBusy: number;
  /** CPU the fake nodes used per window (JSON parsing, streaming: the stand-in for the GPU server). */
  nodeCpuMsPerWindow: number;
}

/** CPU seconds of the fake nodes still alive. */
function nodesCpuSeconds(fakes: FakeVllmProcess[]): number {
  return fakes.reduce((sum, fake) => sum + (processCpuSeconds(fake.pid) ?? 0), 0);
}

/** Steady state: the middle 80% of completions (the ramp-up and the tail are left out). */
function steadyRate(completions: number[]): { perSecond: number; seconds: number } {
  const sorted = [...completions].sort((a, b) => a - b);
  const from = sorted[Math.floor(sorted.length * 0.1)]!;
  const to = sorted[Math.floor(sorted.length * 0.9)]!;
  const count = Math.floor(sorted.length * 0.9) - Math.floor(sorted.length * 0.1);
  return { perSecond: count / ((to - from) / 1000), seconds: (to - from) / 1000 };
}

/** The node pool alone: analyseOnNodes with N*C windows always in flight, no database or queue. */
async function poolOnly(env: Env, fakes: FakeVllmProcess[]): Promise<Run> {
  const pool = new NodePool({ pollIntervalMs: 1_000, breakerFailures: 3, breakerOpenMs: 5_000, logger });
  pool.setDefinitions(nodeDefinitions(fakes));
  await pool.start();
  const total = Math.round(IDEAL * SECONDS);
  const version = {
    id: 'bench',
    systemText: 'You watch a fixed camera.',
    instructionText: 'Answer in JSON.',
    resultSchema: DEFAULT_RESULT_SCHEMA,
    mode: 'THINKING' as const,
    modelName: MODEL,
    temperature: 0.6,
    topP: 0.95,
    topK: 20,
    presencePenalty: 0,
    maxCompletionTokens: 4096,
    thinkingTokenBudget: 2048,
  };
  const completions: number[] = [];
  let next = 0;
  const stopWatch = watchWaiting(fakes);
  const cpuStart = process.cpuUsage();
  const machineStart = machineCpu();
  const nodesStart = nodesCpuSeconds(fakes);
  const worker = async (): Promise<void> => {
    while (next < total) {
      next += 1;
      const outcome = await analyseOnNodes(
        pool,
        (budget) => buildChatSpec(version, { streamName: 'Camera 01', policyText: '' }, env.frames, budget),
        { maxAttempts: 4, requestTimeoutMs: 60_000, idleTimeoutMs: 30_000, validate: () => null },
      );
      if (outcome.kind !== 'done') throw new Error(`pool-only window failed: ${JSON.stringify(outcome)}`);
      completions.push(Date.now());
    }
  };
  // More callers than slots, as the worker's concurrency would be: the pool keeps the rest waiting.
  await Promise.all(Array.from({ length: NODES * SLOTS + 16 }, worker));
  const cpu = process.cpuUsage(cpuStart);
  const machineBusy = machineBusyShare(machineStart, machineCpu());
  const nodeCpuMsPerWindow = ((nodesCpuSeconds(fakes) - nodesStart) * 1000) / completions.length;
  const meanWaiting = stopWatch();
  await pool.close();
  const steady = steadyRate(completions);
  return {
    windows: completions.length,
    seconds: steady.seconds,
    perSecond: steady.perSecond,
    cpuMsPerWindow: (cpu.user + cpu.system) / 1000 / completions.length,
    meanWaiting,
    completions,
    machineBusy,
    nodeCpuMsPerWindow,
  };
}

/**
 * Frames and windows as ingest makes them: consecutive frames, each window WINDOW_SIZE of them
 * with a stride of half a window, so each frame is in two windows. Every frame has its own row and
 * its own file (a hard link to one of the 8 real frames), so caches see what they would in production.
 */
async function createWindows(env: Env, count: number, firstIndex: number): Promise<string[]> {
  const stride = WINDOW_SIZE / 2;
  const frameCount = count * stride + stride;
  const firstSequence = env.nextSequence;
  env.nextSequence += frameCount;
  const frameIds: string[] = [];
  for (let i = 0; i < frameCount; i += 1_000) {
    const batch = Array.from({ length: Math.min(1_000, frameCount - i) }, (_, k) => {
      const sequence = firstSequence + i + k;
      const capturedAt = new Date(Date.UTC(2026, 10, 21, 12, 0, 0) + sequence * 500);
      return { sequence, capturedAt, key: frameKey(env.tenantId, env.streamId, capturedAt, sequence) };
    });
    for (const frame of batch) {
      const source = env.frameKeys[frame.sequence % WINDOW_SIZE]!;
      const target = path.join(env.root, ...frame.key.split('/'));
      await mkdir(path.dirname(target), { recursive: true });
      await link(path.join(env.root, ...source.split('/')), target);
    }
    const rows = await env.prisma.frame.createManyAndReturn({
      data: batch.map((frame) => ({
        tenantId: env.tenantId,
        streamId: env.streamId,
        sequence: frame.sequence,
        capturedAt: frame.capturedAt,
        storageKey: frame.key,
        sha256: '0'.repeat(64),
        width: 448,
        height: 320,
        bytes: 0,
      })),
      select: { id: true },
    });
    frameIds.push(...rows.map((row) => row.id));
  }
  const windowIds: string[] = [];
  for (let i = 0; i < count; i += 500) {
    const rows = await env.prisma.window.createManyAndReturn({
      data: Array.from({ length: Math.min(500, count - i) }, (_, k) => {
        const first = (i + k) * stride;
        return {
          tenantId: env.tenantId,
          streamId: env.streamId,
          index: firstIndex + i + k,
          frameIds: frameIds.slice(first, first + WINDOW_SIZE),
          startAt: new Date(Date.UTC(2026, 10, 21, 12, 0, 0)),
          endAt: new Date(Date.UTC(2026, 10, 21, 12, 0, 7)),
        };
      }),
      select: { id: true },
    });
    windowIds.push(...rows.map((row) => row.id));
  }
  return windowIds;
}

/**
 * The whole worker path: `count` windows written and queued, analysed by the analysis runtime
 * (ANALYSIS_CONCURRENCY = N*C + 16). `duringRun` may disturb the run (kill a node).
 */
async function workerRun(
  env: Env,
  fakes: FakeVllmProcess[],
  count: number,
  duringRun?: (completed: () => number) => Promise<void>,
): Promise<Run & { byStatus: Record<string, number>; windowIds: string[] }> {
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    INFERENCE_MODE: 'vlm',
    ANALYSIS_CONCURRENCY: String(NODES * SLOTS + 16),
    NODE_POLL_INTERVAL_MS: '1000',
    NODE_BREAKER_FAILURES: '3',
    NODE_BREAKER_OPEN_MS: '5000',
    INFERENCE_IDLE_TIMEOUT_MS: '10000',
    LOG_LEVEL: 'warn',
  });
  const connection = createRedis(env.redisUrl, { forWorkers: true, name: 'vigil-bench' });
  const queue = new Queue(QUEUES.analysis, { connection, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  await queue.obliterate({ force: true });
  const base = await env.prisma.window.count();
  const windowIds = await createWindows(env, count, base);
  const runtime = await startAnalysisRuntime({
    config,
    prisma: env.prisma,
    connection,
    analysisQueue: queue,
    store: env.store,
    logger,
    workerId: 'bench',
    loadNodes: async () => nodeDefinitions(fakes),
    loadDetector: () => loadLocalDetector(),
  });
  const completions: number[] = [];
  runtime.worker.on('completed', () => completions.push(Date.now()));
  await runtime.worker.waitUntilReady();
  const stopWatch = watchWaiting(fakes);
  const cpuStart = process.cpuUsage();
  const machineStart = machineCpu();
  const nodesStart = nodesCpuSeconds(fakes);
  await queue.addBulk(
    windowIds.map((windowId) => ({
      name: 'analyse-window',
      data: { tenantId: env.tenantId, windowId },
      opts: { jobId: windowId, priority: 1 },
    })),
  );
  const disturbance = duringRun?.(() => completions.length);
  while (completions.length < count) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const failed = await queue.getFailedCount();
    if (completions.length + failed >= count) break;
  }
  await disturbance;
  const cpu = process.cpuUsage(cpuStart);
  const machineBusy = machineBusyShare(machineStart, machineCpu());
  // A killed node's CPU cannot be read any more: this figure is the survivors' after a kill.
  const nodeCpuMsPerWindow = ((nodesCpuSeconds(fakes) - nodesStart) * 1000) / Math.max(1, completions.length);
  const meanWaiting = stopWatch();
  await runtime.close();
  await queue.close();
  await connection.quit();
  const statuses = await env.prisma.window.groupBy({
    by: ['status'],
    where: { id: { in: windowIds } },
    _count: true,
  });
  const steady = steadyRate(completions);
  return {
    windows: completions.length,
    seconds: steady.seconds,
    perSecond: steady.perSecond,
    cpuMsPerWindow: (cpu.user + cpu.system) / 1000 / completions.length,
    meanWaiting,
    completions,
    machineBusy,
    nodeCpuMsPerWindow,
    byStatus: Object.fromEntries(statuses.map((row) => [row.status, row._count])),
    windowIds,
  };
}

async function main(): Promise<void> {
  console.log(
    `Inference benchmark: ${NODES} fake nodes x ${SLOTS} slots x ${LATENCY_MS} ms; ideal ${IDEAL.toFixed(1)} windows/s`,
  );
  const env = await setUp();
  const fakes = await Promise.all(
    Array.from({ length: NODES }, () => startFakeVllmProcess({ slots: SLOTS, latencyMs: LATENCY_MS })),
  );
  try {
    console.log('\n1. Node pool alone (baseline: no database, no queue)...');
    const pool = await poolOnly(env, fakes);
    console.log('2. Analysis worker (PostgreSQL + BullMQ + frame store + pool)...');
    const count = Math.round(IDEAL * SECONDS);
    const worker = await workerRun(env, fakes, count);

    console.log('\nSaturation:');
    printTable(
      [
        'run',
        'windows',
        'windows/s (steady)',
        'of ideal',
        'CPU per window (this process)',
        'mean waiting per node',
        'machine busy',
        'fake nodes CPU per window',
      ],
      [pool, worker].map((run, i) => [
        i === 0 ? 'pool alone' : 'analysis worker',
        run.windows,
        run.perSecond.toFixed(1),
        pct(run.perSecond / IDEAL),
        ms(run.cpuMsPerWindow, 2),
        run.meanWaiting.map((w) => w.toFixed(2)).join(' / '),
        pct(run.machineBusy),
        ms(run.nodeCpuMsPerWindow, 1),
      ]),
    );
    console.log(
      `  The fake nodes run on this machine's ${cpus().length} cores: their CPU (parsing each request of\n` +
        `  ${WINDOW_SIZE} base64 frames, streaming the answer) competes with the worker, PostgreSQL and Redis,\n` +
        '  as the GPU servers of a real deployment would not.',
    );

    console.log('\n3. Failover: one node killed (SIGKILL) a third of the way in...');
    for (const fake of fakes) await fake.control.reset();
    const victim = fakes[0]!;
    let killedAt = 0;
    const failover = await workerRun(env, fakes, count, async (completed) => {
      while (completed() < count / 3) await new Promise((resolve) => setTimeout(resolve, 20));
      killedAt = Date.now();
      await victim.kill('SIGKILL');
    });
    // Throughput before the kill, and the first 1 s span after it that is back at 3/4 of it.
    const before = failover.completions.filter((t) => t < killedAt);
    const rateBefore = steadyRate(before).perSecond;
    let recoveredAfter: number | null = null;
    for (let t = killedAt; t < killedAt + 60_000; t += 100) {
      const inSpan = failover.completions.filter((c) => c >= t && c < t + 1_000).length;
      if (inSpan >= 0.75 * rateBefore) {
        recoveredAfter = (t + 1_000 - killedAt) / 1000;
        break;
      }
    }
    const lost = count - (failover.byStatus.DONE ?? 0);
    printTable(
      ['windows', 'done', 'other states', 'lost', 'rate before kill', 'back at 3/4 after'],
      [
        [
          count,
          failover.byStatus.DONE ?? 0,
          JSON.stringify(Object.fromEntries(Object.entries(failover.byStatus).filter(([s]) => s !== 'DONE'))),
          lost,
          `${rateBefore.toFixed(1)}/s`,
          recoveredAfter === null ? 'not within 60 s' : `${recoveredAfter.toFixed(1)} s`,
        ],
      ],
    );
    const analyses = await env.prisma.analysis.groupBy({
      by: ['windowId'],
      where: { windowId: { in: failover.windowIds } },
      _count: true,
      having: { windowId: { _count: { gt: 1 } } },
    });
    console.log(`  Windows with more than one analysis: ${analyses.length} (each window is analysed once)`);

    console.log('\nFigures against targets:');
    printTable(
      ['figure', 'measured', 'target', 'verdict'],
      [
        [
          'windows/s, analysis worker',
          `${worker.perSecond.toFixed(1)} (${pct(worker.perSecond / IDEAL)} of ${IDEAL.toFixed(1)})`,
          '>= 95% of ideal',
          worker.perSecond >= 0.95 * IDEAL ? 'PASS' : 'MISS',
        ],
        [
          'windows/s, pool alone',
          `${pool.perSecond.toFixed(1)} (${pct(pool.perSecond / IDEAL)})`,
          '(baseline)',
          '-',
        ],
        [
          'mean waiting queue per node',
          worker.meanWaiting.map((w) => w.toFixed(2)).join(' / '),
          '<= 2',
          worker.meanWaiting.every((w) => w <= 2) ? 'PASS' : 'MISS',
        ],
        [
          'orchestration CPU per window',
          ms(worker.cpuMsPerWindow, 2),
          '<= 5 ms',
          worker.cpuMsPerWindow <= 5 ? 'PASS' : 'MISS',
        ],
        ['windows lost when a node dies', lost, '0', lost === 0 ? 'PASS' : 'MISS'],
        [
          'seconds until 3/4 throughput',
          recoveredAfter === null ? '> 60' : recoveredAfter.toFixed(1),
          '(reported)',
          '-',
        ],
      ],
    );
  } finally {
    await Promise.allSettled(fakes.map((fake) => fake.stop()));
    await env.prisma.$disconnect();
    await rm(env.root, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
