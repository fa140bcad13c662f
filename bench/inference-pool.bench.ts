/**
 * Inference benchmark: the analysis worker against N fake GPU nodes (each its own process speaking
 * vLLM's wire contract, with C slots and L ms of model time per request), through the real path:
 * Window rows in PostgreSQL, jobs on BullMQ (Redis), frames from the frame store, the node pool,
 * Analysis rows and usage counters written back.
 *
 * Prints:
 * - Saturation: the share of the nodes' slots running a request (the nodes' own
 *   vllm:num_requests_running, read every 100 ms; target >= 95%), windows/s against the ideal
 *   N*C/L, and each node's mean waiting queue (target <= 2). Runs: the node pool alone (no
 *   database, no queue: what the routing itself reaches), the analysis worker in this one process
 *   (for comparison), and the analysis worker in K child processes (as production scales out;
 *   each its own node pool, event loop and connections). The verdicts are the K-process run's.
 * - Worker CPU per window outside the model: the worker processes' CPU (this process's, or the sum
 *   of the K children's, read from /proc), over the whole run and over its steady state; the fake
 *   nodes are processes of their own, their CPU read apart, so the model's time is excluded.
 *   Target: <= 5 ms (whole run). With it, the SQL statements the workers sent per window (BEGIN and
 *   COMMIT included), by kind.
 * - Where the machine's CPU went per window: workers, this process, fake nodes, PostgreSQL, Redis
 *   and the rest, against what the machine's cores give per window at the ideal rate.
 * - The cost curve: the K workers at 1, 4 and 16 nodes sharing the same N*C slots (so the same
 *   ideal rate), a line per point (CPU per window, statements per window, slots busy) and the
 *   slope: what each node added costs.
 * - Failover (K processes): one of the nodes killed (SIGKILL) a third of the way in: windows lost
 *   (target 0), and seconds until throughput is back at 3/4 of what it was.
 * - Last, the perf budget's line (support/perf-budget.ts): worker CPU per window (steady state) and
 *   slots busy.
 *
 * Environment: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/vigil_bench_inference;
 * DROPPED and recreated, its name must contain "bench"), BENCH_REDIS_URL (default
 * redis://127.0.0.1:6379/14, flushed), BENCH_NODES (4), BENCH_SLOTS (16), BENCH_LATENCY_MS (800),
 * BENCH_SECONDS (20, or 4 with BENCH_QUICK=1: length of each run at the ideal rate), BENCH_WORKERS
 * (2: the K worker processes, each with ANALYSIS_CONCURRENCY = ceil(N*C/K) + 16),
 * BENCH_CURVE_NODES (1,4,16), BENCH_WORKER_NODE_ARGS (node options for the workers only, e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/prof"). BENCH_QUICK=1 runs only the cost curve (its 4-node point
 * gives the verdicts and the budget line), in about a minute.
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
import { createPrismaClient, PrismaClient } from '../src/db/prisma-client';
import type { NodeDefinition } from '../src/config/node-definition';
import { NodePool } from '../src/inference/gpu/node-pool';
import { analyseOnNodes } from '../src/inference/gpu/vlm-analyser';
import { readNodeLoad } from '../src/inference/gpu/vllm-client';
import { buildChatSpec } from '../src/inference/gpu/window-prompt';
import { createRedis } from '../src/redis/redis-client';
import { frameKey, LocalFrameStore } from '../src/storage/frame-store';
import { DEFAULT_RESULT_SCHEMA } from '../src/templates/result-schema';
import { type StartedAnalysisRuntime, startAnalysisRuntime } from '../src/workers/analysis-runtime';
import { BullJobQueue, bullJobOptions } from '../src/jobs/bullmq-job-queue';
import { QUEUES, STANDARD_JOB_OPTIONS } from '../src/jobs/job-registry';
import { FakeVllmProcess, startFakeVllmProcess } from '../test/support/fake-vllm-process';
import { sampleFile, TEST_MEDIA_DIR, vtestPath } from '../test/support/test-media';
import {
  benchAnalysisConfig,
  COMPLETION_BATCH_MS,
  startWorkerChildren,
  type WorkerChild,
} from './support/analysis-workers';
import { freshBenchStores } from './support/bench-data';
import { ms, pct, printTable } from './support/bench-output';
import { clockTicksPerSecond, cpuBetween, snapshotCpu } from './support/cpu-sampler';
import { machineBusyShare, machineCpu, ownCpuSeconds, processCpuSeconds } from './support/ingest-cpu';
import { printBudget, quickRun } from './support/perf-budget';
import { countStatements, type StatementCounts, statementsBetween } from './support/statement-counter';

/** This process's statements (the in-process run's worker and the bench's own writes). */
const ownStatements = countStatements();

const QUICK = quickRun();
const NODES = Number(process.env.BENCH_NODES ?? 4);
const SLOTS = Number(process.env.BENCH_SLOTS ?? 16);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 800);
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 4 : 20));
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
/** The cost curve's points: node counts, the N*C slots shared out among them. */
const CURVE_NODES = (process.env.BENCH_CURVE_NODES ?? '1,4,16').split(',').map(Number);
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
  const { databaseUrl, redisUrl } = await freshBenchStores('vigil_bench_inference');
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
    await prisma.frame.create({
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

/** A set of fake nodes of one run, each with `slots` slots. */
interface FakeNodes {
  fakes: FakeVllmProcess[];
  slots: number;
}

async function startFakeNodes(count: number, slots: number): Promise<FakeNodes> {
  const fakes = await Promise.all(
    Array.from({ length: count }, () => startFakeVllmProcess({ slots, latencyMs: LATENCY_MS })),
  );
  return { fakes, slots };
}

function nodeDefinitions({ fakes, slots }: FakeNodes): NodeDefinition[] {
  return fakes.map((fake, i) => ({
    name: `gpu-${i + 1}`,
    url: fake.url,
    apiKey: null,
    model: MODEL,
    maxConcurrency: slots,
    weight: 1,
    state: 'ACTIVE',
    source: 'config',
  }));
}

interface NodeWatch {
  /** Each node's mean waiting queue over the whole run. */
  meanWaiting: number[];
  /** Requests running in all nodes together, per sampling round. */
  running: { at: number; total: number }[];
}

/** Samples every node's own waiting and running requests (its /metrics) every 100 ms. */
function watchWaiting(fakes: FakeVllmProcess[]): () => NodeWatch {
  const dispatcher = new Agent();
  const sums = fakes.map(() => 0);
  const counts = fakes.map(() => 0);
  const running: NodeWatch['running'] = [];
  let stopped = false;
  const loop = async (): Promise<void> => {
    while (!stopped) {
      let total = 0;
      const at = Date.now();
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
            total += load.running;
          } catch {
            // a killed node: no sample
          }
        }),
      );
      running.push({ at, total });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  void loop();
  return () => {
    stopped = true;
    void dispatcher.close();
    return { meanWaiting: sums.map((sum, i) => (counts[i] ? sum / counts[i]! : 0)), running };
  };
}

interface Run {
  label: string;
  /** Whose CPU cpuMsPerWindow is. */
  cpuOf: string;
  windows: number;
  seconds: number;
  perSecond: number;
  cpuMsPerWindow: number;
  /** The same over the steady state only (the middle 80% of completions); null where not sampled. */
  steadyCpuMsPerWindow: number | null;
  meanWaiting: number[];
  /** Share of all nodes' slots running a request, over the steady state (the middle 80%). */
  slotsBusy: number;
  completions: number[];
  /** Share of the machine's cores busy during the run (every process: nodes, PostgreSQL, Redis, this). */
  machineBusy: number;
  /** The same over the steady state; null where not sampled. */
  steadyMachineBusy: number | null;
  /** CPU the fake nodes used per window (JSON parsing, streaming: the stand-in for the GPU server). */
  nodeCpuMsPerWindow: number;
  /** SQL statements the worker process(es) sent per window, BEGIN and COMMIT included. */
  statementsPerWindow: number;
  /** The same by kind, per window. */
  statementKinds: Record<string, number>;
}

/** CPU seconds of the fake nodes still alive. */
function nodesCpuSeconds(fakes: FakeVllmProcess[]): number {
  return fakes.reduce((sum, fake) => sum + (processCpuSeconds(fake.pid) ?? 0), 0);
}

/** Steady state: the middle 80% of completions (the ramp-up and the tail are left out). */
function steadyRate(completions: number[]): {
  perSecond: number;
  seconds: number;
  from: number;
  to: number;
  count: number;
} {
  const sorted = [...completions].sort((a, b) => a - b);
  const from = sorted[Math.floor(sorted.length * 0.1)]!;
  const to = sorted[Math.floor(sorted.length * 0.9)]!;
  const count = Math.floor(sorted.length * 0.9) - Math.floor(sorted.length * 0.1);
  return { perSecond: count / ((to - from) / 1000), seconds: (to - from) / 1000, from, to, count };
}

/** Mean share of the nodes' slots running a request between `from` and `to`. */
function slotsBusy(
  running: NodeWatch['running'],
  steady: { from: number; to: number },
  totalSlots: number,
): number {
  const inSteady = running.filter((sample) => sample.at >= steady.from && sample.at <= steady.to);
  const mean = inSteady.reduce((sum, sample) => sum + sample.total, 0) / Math.max(1, inSteady.length);
  return mean / totalSlots;
}

/** A reading of a cumulative CPU counter (seconds) at a time (ms since the epoch), taken every 100 ms. */
interface CpuSample {
  at: number;
  cpu: number;
}

/** The counter at `at`, interpolated between the samples around it. */
function cpuAt(samples: CpuSample[], at: number): number {
  const after = samples.findIndex((sample) => sample.at >= at);
  if (after <= 0) return (samples[after < 0 ? samples.length - 1 : 0] ?? { cpu: 0 }).cpu;
  const a = samples[after - 1]!;
  const b = samples[after]!;
  return a.cpu + ((b.cpu - a.cpu) * (at - a.at)) / Math.max(1, b.at - a.at);
}

/** The node pool alone: analyseOnNodes with N*C windows always in flight, no database or queue. */
async function poolOnly(env: Env, nodes: FakeNodes): Promise<Run> {
  const { fakes } = nodes;
  const pool = new NodePool({ pollIntervalMs: 1_000, breakerFailures: 3, breakerOpenMs: 5_000, logger });
  pool.setDefinitions(nodeDefinitions(nodes));
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
  const { meanWaiting, running } = stopWatch();
  await pool.close();
  const steady = steadyRate(completions);
  return {
    label: 'pool alone',
    cpuOf: 'this process',
    windows: completions.length,
    seconds: steady.seconds,
    perSecond: steady.perSecond,
    cpuMsPerWindow: (cpu.user + cpu.system) / 1000 / completions.length,
    steadyCpuMsPerWindow: null,
    steadyMachineBusy: null,
    meanWaiting,
    slotsBusy: slotsBusy(running, steady, fakes.length * nodes.slots),
    completions,
    machineBusy,
    nodeCpuMsPerWindow,
    statementsPerWindow: 0,
    statementKinds: {},
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

/** Where the analysis worker runs: in this process, or in K child processes. */
type Placement = 'in-process' | { processes: number };

/** The analysis worker(s) of one run, however placed. */
interface Workers {
  label: string;
  cpuOf: string;
  /** CPU seconds the worker process(es) have used so far. */
  cpuSeconds(): number;
  /** Jobs completed by each worker process. */
  perProcess(): number[];
  /** SQL statements the worker process(es) have sent so far. */
  statements(): StatementCounts;
  close(): Promise<void>;
}

const concurrencyFor = (processes: number): number => Math.ceil((NODES * SLOTS) / processes) + 16;

async function inProcessWorker(
  env: Env,
  nodes: FakeNodes,
  connection: ReturnType<typeof createRedis>,
  completions: number[],
): Promise<Workers> {
  const config = benchAnalysisConfig(env.databaseUrl, env.redisUrl, concurrencyFor(1));
  const jobs = new BullJobQueue(connection, config);
  const runtime: StartedAnalysisRuntime = await startAnalysisRuntime({
    config,
    prisma: env.prisma,
    connection,
    jobs,
    store: env.store,
    logger,
    workerId: 'bench',
    loadNodes: async () => nodeDefinitions(nodes),
  });
  const worker = runtime.workers.workers.get(QUEUES.analysis)!;
  worker.on('completed', () => completions.push(Date.now()));
  await worker.waitUntilReady();
  return {
    label: 'analysis worker, 1 process',
    cpuOf: 'this process',
    cpuSeconds: ownCpuSeconds,
    perProcess: () => [completions.length],
    statements: ownStatements,
    close: async () => {
      await runtime.close();
      await jobs.close();
    },
  };
}

async function childWorkers(
  env: Env,
  nodes: FakeNodes,
  processes: number,
  completions: number[],
): Promise<Workers> {
  const children: WorkerChild[] = await startWorkerChildren(
    processes,
    (i) => ({
      databaseUrl: env.databaseUrl,
      redisUrl: env.redisUrl,
      frameRoot: env.root,
      concurrency: concurrencyFor(processes),
      workerId: `bench-${i + 1}`,
      nodes: nodeDefinitions(nodes),
    }),
    (at) => completions.push(at),
  );
  return {
    label: `analysis worker, ${processes} process${processes === 1 ? ' (child)' : 'es'}`,
    cpuOf: processes === 1 ? 'the child' : `the ${processes} workers (sum)`,
    cpuSeconds: () => children.reduce((sum, child) => sum + child.cpuSeconds(), 0),
    perProcess: () => children.map((child) => child.completed),
    statements: () =>
      children.reduce<StatementCounts>(
        (sum, child) => {
          for (const [kind, count] of Object.entries(child.statements.byKind))
            sum.byKind[kind] = (sum.byKind[kind] ?? 0) + count;
          return { total: sum.total + child.statements.total, byKind: sum.byKind };
        },
        { total: 0, byKind: {} },
      ),
    close: async () => {
      await Promise.all(children.map((child) => child.stop()));
    },
  };
}

/** A run with no completion and no failure for this long is stuck: it fails rather than hangs. */
const STALL_TIMEOUT_MS = 120_000;

/**
 * The whole worker path: `count` windows written and queued (by this process), analysed by the
 * analysis runtime in this process or in K child processes (ANALYSIS_CONCURRENCY = ceil(N*C/K) + 16
 * each). `duringRun` may disturb the run (kill a node).
 */
async function workerRun(
  env: Env,
  nodes: FakeNodes,
  count: number,
  placement: Placement,
  duringRun?: (completed: () => number) => Promise<void>,
): Promise<
  Run & {
    byStatus: Record<string, number>;
    windowIds: string[];
    perProcess: number[];
    /** Rules jobs still queued or running when the run's figures were read. */
    rulesLeft: number;
    /** CPU of this process per window when the workers are children: queueing, sampling /metrics. */
    benchCpuMsPerWindow: number;
    /** CPU of the whole machine per window (every process, ours or not). */
    machineMsPerWindow: number;
    /** CPU of the PostgreSQL and Redis server processes per window (null without /proc). */
    postgresMsPerWindow: number | null;
    redisMsPerWindow: number | null;
  }
> {
  const { fakes } = nodes;
  const connection = createRedis(env.redisUrl, { forWorkers: true, name: 'vigil-bench' });
  const queue = new Queue(QUEUES.analysis, {
    connection,
    defaultJobOptions: bullJobOptions(STANDARD_JOB_OPTIONS),
  });
  const completions: number[] = [];
  let workers: Workers | null = null;
  try {
    await queue.obliterate({ force: true });
    const base = await env.prisma.window.count();
    const windowIds = await createWindows(env, count, base);
    workers =
      placement === 'in-process'
        ? await inProcessWorker(env, nodes, connection, completions)
        : await childWorkers(env, nodes, placement.processes, completions);
    const stopWatch = watchWaiting(fakes);
    const cpuStart = workers.cpuSeconds();
    const statementsStart = workers.statements();
    const benchStart = ownCpuSeconds();
    const machineStart = machineCpu();
    const nodesStart = nodesCpuSeconds(fakes);
    const snapshotStart = snapshotCpu();
    const wallStart = Date.now();
    await queue.addBulk(
      windowIds.map((windowId) => ({
        name: 'analyse-window',
        data: { tenantId: env.tenantId, windowId },
        opts: { jobId: windowId, priority: 1 },
      })),
    );
    const disturbance = duringRun?.(() => completions.length);
    let progress = { done: 0, at: Date.now() };
    const cpuSamples: CpuSample[] = [{ at: wallStart, cpu: cpuStart }];
    const machineSamples = [{ at: wallStart, ...machineStart }];
    while (completions.length < count) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      cpuSamples.push({ at: Date.now(), cpu: workers.cpuSeconds() });
      machineSamples.push({ at: Date.now(), ...machineCpu() });
      const done = completions.length + (await queue.getFailedCount());
      if (done >= count) break;
      if (done > progress.done) progress = { done, at: Date.now() };
      else if (Date.now() - progress.at > STALL_TIMEOUT_MS) {
        throw new Error(`${workers.label}: stuck at ${done} of ${count} windows for ${STALL_TIMEOUT_MS} ms`);
      }
    }
    await disturbance;
    const cpuEnd = workers.cpuSeconds();
    // The children report their statements with their completions: the last batch is in by now.
    await new Promise((resolve) => setTimeout(resolve, 2 * COMPLETION_BATCH_MS));
    const statements = statementsBetween(statementsStart, workers.statements());
    // The rules jobs the analyses queued and the workers had not run yet: their CPU and statements
    // are not in this run's figures.
    const rulesQueue = new Queue(QUEUES.rules, { connection });
    const rulesLeft = Object.values(
      await rulesQueue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
    ).reduce((sum, n) => sum + n, 0);
    await rulesQueue.close();
    cpuSamples.push({ at: Date.now(), cpu: cpuEnd });
    const cpuSeconds = cpuEnd - cpuStart;
    const benchSeconds = ownCpuSeconds() - benchStart;
    const machineEnd = machineCpu();
    const machineBusy = machineBusyShare(machineStart, machineEnd);
    // A killed node's CPU cannot be read any more: this figure is the survivors' after a kill.
    const nodeCpuMsPerWindow =
      ((nodesCpuSeconds(fakes) - nodesStart) * 1000) / Math.max(1, completions.length);
    const wallSeconds = (Date.now() - wallStart) / 1000;
    const servers = cpuBetween(snapshotStart, snapshotCpu(), wallSeconds);
    const perWindow = (cpuSeconds: number): number => (cpuSeconds * 1000) / Math.max(1, completions.length);
    const machineMs = perWindow((machineEnd.busy - machineStart.busy) / clockTicksPerSecond());
    const { meanWaiting, running } = stopWatch();
    const perProcess = workers.perProcess();
    const closing = workers;
    workers = null;
    await closing.close();
    const statuses = await env.prisma.window.groupBy({
      by: ['status'],
      where: { id: { in: windowIds } },
      _count: true,
    });
    const steady = steadyRate(completions);
    return {
      label: closing.label,
      cpuOf: closing.cpuOf,
      windows: completions.length,
      seconds: steady.seconds,
      perSecond: steady.perSecond,
      cpuMsPerWindow: (cpuSeconds * 1000) / Math.max(1, completions.length),
      steadyMachineBusy: (() => {
        const inSteady = machineSamples.filter(
          (sample) => sample.at >= steady.from && sample.at <= steady.to,
        );
        return inSteady.length >= 2 ? machineBusyShare(inSteady[0]!, inSteady[inSteady.length - 1]!) : null;
      })(),
      steadyCpuMsPerWindow:
        ((cpuAt(cpuSamples, steady.to) - cpuAt(cpuSamples, steady.from)) * 1000) / Math.max(1, steady.count),
      meanWaiting,
      slotsBusy: slotsBusy(running, steady, fakes.length * nodes.slots),
      completions,
      machineBusy,
      nodeCpuMsPerWindow,
      statementsPerWindow: statements.total / Math.max(1, completions.length),
      statementKinds: Object.fromEntries(
        Object.entries(statements.byKind).map(([kind, n]) => [kind, n / Math.max(1, completions.length)]),
      ),
      rulesLeft,
      byStatus: Object.fromEntries(statuses.map((row) => [row.status, row._count])),
      windowIds,
      perProcess,
      benchCpuMsPerWindow: perWindow(benchSeconds),
      machineMsPerWindow: machineMs,
      postgresMsPerWindow: servers ? perWindow((servers.byName.postgres ?? 0) * wallSeconds) : null,
      redisMsPerWindow: servers ? perWindow((servers.byName['redis-server'] ?? 0) * wallSeconds) : null,
    };
  } finally {
    await workers?.close();
    await queue.close();
    await connection.quit();
  }
}

type WorkerRunResult = Awaited<ReturnType<typeof workerRun>>;

/** Least-squares slope of y over x: what one more x adds to y. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n;
  const num = points.reduce((sum, p) => sum + (p.x - meanX) * (p.y - meanY), 0);
  const den = points.reduce((sum, p) => sum + (p.x - meanX) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

async function main(): Promise<void> {
  console.log(
    `Inference benchmark${QUICK ? ' (BENCH_QUICK=1: short runs, no pool-alone, in-process or failover runs)' : ''}: ` +
      `${NODES} fake nodes x ${SLOTS} slots x ${LATENCY_MS} ms; ideal ${IDEAL.toFixed(1)} windows/s; ` +
      `${WORKERS} worker process${WORKERS === 1 ? '' : 'es'} in the scaled-out runs; ${SECONDS} s per run at the ideal rate`,
  );
  if (!Number.isInteger(WORKERS) || WORKERS < 1) throw new Error(`BENCH_WORKERS must be a positive integer`);
  if (CURVE_NODES.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`BENCH_CURVE_NODES must be positive integers separated by commas`);
  const env = await setUp();
  const totalSlots = NODES * SLOTS;
  const main = await startFakeNodes(NODES, SLOTS);
  const count = Math.round(IDEAL * SECONDS);
  try {
    let pool: Run | null = null;
    let single: WorkerRunResult | null = null;
    if (!QUICK) {
      console.log('\n1. Node pool alone (baseline: no database, no queue)...');
      pool = await poolOnly(env, main);
      console.log(
        `2. Analysis worker in this process (PostgreSQL + BullMQ + frame store + pool; concurrency ${concurrencyFor(1)})...`,
      );
      single = await workerRun(env, main, count, 'in-process');
    }

    // The cost curve: the same N*C slots (so the same ideal rate) spread over 1, 4, 16 nodes, so
    // what changes from point to point is what each node costs the worker (polling, connections,
    // routing), not the amount of work.
    console.log(
      `3. Analysis worker in ${WORKERS} child process${WORKERS === 1 ? '' : 'es'} (concurrency ${concurrencyFor(WORKERS)} each), ` +
        `at ${CURVE_NODES.join(', ')} nodes sharing ${totalSlots} slots...`,
    );
    const curve: { nodes: number; slots: number; run: WorkerRunResult }[] = [];
    const points = CURVE_NODES.includes(NODES) ? CURVE_NODES : [...CURVE_NODES, NODES];
    for (const nodeCount of points) {
      const slots = Math.max(1, Math.round(totalSlots / nodeCount));
      const nodes = nodeCount === NODES && slots === SLOTS ? main : await startFakeNodes(nodeCount, slots);
      try {
        for (const fake of nodes.fakes) await fake.control.reset();
        const run = await workerRun(env, nodes, count, { processes: WORKERS });
        curve.push({ nodes: nodeCount, slots, run });
        console.log(
          `   ${nodeCount} node${nodeCount === 1 ? '' : 's'} x ${slots} slots: ${run.perSecond.toFixed(1)} windows/s, ` +
            `slots busy ${pct(run.slotsBusy)}, worker CPU ${ms(run.cpuMsPerWindow, 2)}/window, ${run.statementsPerWindow.toFixed(2)} statements/window`,
        );
      } finally {
        if (nodes !== main) await Promise.allSettled(nodes.fakes.map((fake) => fake.stop()));
      }
    }
    const scaled = curve.find((point) => point.nodes === NODES)!.run;

    console.log('\nSaturation:');
    printTable(
      [
        'run',
        'windows',
        'windows/s (steady)',
        'of ideal',
        'CPU per window (whole run)',
        'CPU per window (steady)',
        'CPU of',
        'SQL statements per window',
        'mean waiting per node',
        'slots busy (steady)',
        'machine busy (whole / steady)',
        'fake nodes CPU per window',
      ],
      [pool, single, scaled].flatMap((run) =>
        run
          ? [
              [
                run.label,
                run.windows,
                run.perSecond.toFixed(1),
                pct(run.perSecond / IDEAL),
                ms(run.cpuMsPerWindow, 2),
                run.steadyCpuMsPerWindow === null ? '-' : ms(run.steadyCpuMsPerWindow, 2),
                run.cpuOf,
                run === pool ? '-' : run.statementsPerWindow.toFixed(2),
                run.meanWaiting.map((w) => w.toFixed(2)).join(' / '),
                pct(run.slotsBusy),
                `${pct(run.machineBusy)} / ${run.steadyMachineBusy === null ? '-' : pct(run.steadyMachineBusy)}`,
                ms(run.nodeCpuMsPerWindow, 1),
              ],
            ]
          : [],
      ),
    );
    console.log(
      `  ${scaled.label}: windows per process ${scaled.perProcess.join(' / ')}; this process (writing the\n` +
        `  queue, sampling the nodes' /metrics) used ${ms(scaled.benchCpuMsPerWindow, 2)} per window besides.\n` +
        `  Rules jobs (one per finished window, run by the same workers) still queued at the end: ${scaled.rulesLeft}\n` +
        `  of ${scaled.windows}; what they will cost is not in the figures.\n` +
        `  Slots busy is the nodes' own count of running requests (their /metrics, every 100 ms) over all\n` +
        `  ${totalSlots} slots: it says whether the worker keeps the slots filled, however slowly this shared\n` +
        `  machine lets the fake nodes answer; windows/s against the ideal also depends on that speed.`,
    );
    console.log(
      `  The fake nodes are processes of their own, their CPU read apart from the workers' (/proc): it is\n` +
        `  not in the worker's CPU per window. They still share this machine's ${cpus().length} cores with the\n` +
        '  workers, PostgreSQL and Redis, as the GPU servers of a real deployment would not.',
    );
    console.log(
      `\nSQL statements per window (${scaled.label}; BEGIN and COMMIT count, each is a round trip):`,
    );
    printTable(
      ['statement', 'per window'],
      Object.entries(scaled.statementKinds)
        .sort((a, b) => b[1] - a[1])
        .map(([kind, n]) => [kind, n.toFixed(2)]),
    );

    // At the ideal rate the machine has cores / ideal seconds of CPU per window, for everything.
    const budgetMs = (cpus().length * 1000) / IDEAL;
    console.log(
      `\nWhere the machine's CPU went, per window over the whole run (at the ideal rate it has ${ms(budgetMs, 1)} in all):`,
    );
    const optionalMs = (value: number | null): string => (value === null ? 'n/a' : ms(value, 1));
    /** CPU per window of the benchmark's own processes. */
    const ours = (run: WorkerRunResult): number =>
      run.cpuMsPerWindow +
      (run === single ? 0 : run.benchCpuMsPerWindow) +
      run.nodeCpuMsPerWindow +
      (run.postgresMsPerWindow ?? 0) +
      (run.redisMsPerWindow ?? 0);
    printTable(
      [
        'run',
        'whole machine',
        'worker process(es)',
        'this process besides',
        'fake nodes',
        'PostgreSQL',
        'Redis',
        'everything else',
      ],
      [single, scaled].flatMap((run) =>
        run
          ? [
              [
                run.label,
                ms(run.machineMsPerWindow, 1),
                ms(run.cpuMsPerWindow, 1),
                run === single ? '(in the worker)' : ms(run.benchCpuMsPerWindow, 1),
                ms(run.nodeCpuMsPerWindow, 1),
                optionalMs(run.postgresMsPerWindow),
                optionalMs(run.redisMsPerWindow),
                ms(Math.max(0, run.machineMsPerWindow - ours(run)), 1),
              ],
            ]
          : [],
      ),
    );
    const oursShare = ours(scaled) / budgetMs;
    console.log(
      `  ${scaled.label}: the benchmark's own processes (workers, this one, fake nodes, PostgreSQL, Redis)\n` +
        `  used ${ms(ours(scaled), 1)} per window (over the whole run, ramp-up and tail included), ${pct(oursShare, 0)} of the\n` +
        `  ${ms(budgetMs, 1)} per window that ${cpus().length} cores give at the ideal rate: at this CPU per window, ${IDEAL.toFixed(1)} windows/s\n` +
        `  would take ${((ours(scaled) * IDEAL) / 1000).toFixed(1)} cores. The machine was ${pct(scaled.machineBusy)} busy; "everything else" is other\n` +
        '  processes on this shared machine and the kernel.',
    );

    console.log(
      `\nCost curve: the worker (${WORKERS} process${WORKERS === 1 ? '' : 'es'}) at ${CURVE_NODES.join(', ')} nodes sharing the same ${totalSlots} slots (ideal ${IDEAL.toFixed(1)} windows/s at every point):`,
    );
    const inCurve = curve.filter((point) => CURVE_NODES.includes(point.nodes));
    printTable(
      [
        'nodes',
        'slots each',
        'worker CPU per window (whole / steady)',
        'SQL statements per window',
        'slots busy (steady)',
        'windows/s (of ideal)',
        'fake nodes CPU per window',
      ],
      inCurve.map(({ nodes, slots, run }) => [
        nodes,
        slots,
        `${ms(run.cpuMsPerWindow, 2)} / ${run.steadyCpuMsPerWindow === null ? '-' : ms(run.steadyCpuMsPerWindow, 2)}`,
        run.statementsPerWindow.toFixed(2),
        pct(run.slotsBusy),
        `${run.perSecond.toFixed(1)} (${pct(run.perSecond / IDEAL)})`,
        ms(run.nodeCpuMsPerWindow, 1),
      ]),
    );
    if (inCurve.length >= 2) {
      const cpuSlope = slope(inCurve.map((point) => ({ x: point.nodes, y: point.run.cpuMsPerWindow })));
      const statementSlope = slope(
        inCurve.map((point) => ({ x: point.nodes, y: point.run.statementsPerWindow })),
      );
      const saturationSlope = slope(inCurve.map((point) => ({ x: point.nodes, y: point.run.slotsBusy })));
      console.log(
        `  Slope (least squares over the points): each node added costs the worker ${cpuSlope >= 0 ? '+' : ''}${ms(cpuSlope, 3)} of CPU per window,\n` +
          `  ${statementSlope >= 0 ? '+' : ''}${statementSlope.toFixed(3)} statements per window, and ${saturationSlope >= 0 ? '+' : ''}${(saturationSlope * 100).toFixed(2)} points of slots busy.`,
      );
    }

    let failover: WorkerRunResult | null = null;
    let recoveredAfter: number | null = null;
    let lost = 0;
    if (!QUICK) {
      console.log(`\n4. Failover (${scaled.label}): one node killed (SIGKILL) a third of the way in...`);
      for (const fake of main.fakes) await fake.control.reset();
      const victim = main.fakes[0]!;
      let killedAt = 0;
      failover = await workerRun(env, main, count, { processes: WORKERS }, async (completed) => {
        while (completed() < count / 3) await new Promise((resolve) => setTimeout(resolve, 20));
        killedAt = Date.now();
        await victim.kill('SIGKILL');
      });
      // Throughput before the kill, and the first 1 s span after it that is back at 3/4 of it.
      const before = failover.completions.filter((t) => t < killedAt);
      const rateBefore = steadyRate(before).perSecond;
      for (let t = killedAt; t < killedAt + 60_000; t += 100) {
        const inSpan = failover.completions.filter((c) => c >= t && c < t + 1_000).length;
        if (inSpan >= 0.75 * rateBefore) {
          recoveredAfter = (t + 1_000 - killedAt) / 1000;
          break;
        }
      }
      lost = count - (failover.byStatus.DONE ?? 0);
      printTable(
        ['run', 'windows', 'done', 'other states', 'lost', 'rate before kill', 'back at 3/4 after'],
        [
          [
            failover.label,
            count,
            failover.byStatus.DONE ?? 0,
            JSON.stringify(
              Object.fromEntries(Object.entries(failover.byStatus).filter(([s]) => s !== 'DONE')),
            ),
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
    }

    const failoverRun = `failover, ${scaled.label}`;
    console.log(
      `\nFigures against targets (verdicts from the scaled-out run at ${NODES} nodes; the others for comparison):`,
    );
    const rows: (string | number)[][] = [
      [
        'slots busy (saturation)',
        scaled.label,
        pct(scaled.slotsBusy),
        '>= 95%',
        scaled.slotsBusy >= 0.95 ? 'PASS' : 'MISS',
      ],
      [
        'windows/s',
        scaled.label,
        `${scaled.perSecond.toFixed(1)} (${pct(scaled.perSecond / IDEAL)} of ${IDEAL.toFixed(1)})`,
        '>= 95% of ideal',
        scaled.perSecond >= 0.95 * IDEAL ? 'PASS' : 'MISS',
      ],
      [
        'mean waiting queue per node',
        scaled.label,
        scaled.meanWaiting.map((w) => w.toFixed(2)).join(' / '),
        '<= 2',
        scaled.meanWaiting.every((w) => w <= 2) ? 'PASS' : 'MISS',
      ],
      [
        'worker CPU per window (outside the model)',
        scaled.label,
        `${ms(scaled.cpuMsPerWindow, 2)} (${scaled.cpuOf})`,
        '<= 5 ms',
        scaled.cpuMsPerWindow <= 5 ? 'PASS' : 'MISS',
      ],
      [
        'worker CPU per window, steady state',
        scaled.label,
        scaled.steadyCpuMsPerWindow === null ? '-' : ms(scaled.steadyCpuMsPerWindow, 2),
        '<= 5 ms',
        scaled.steadyCpuMsPerWindow !== null && scaled.steadyCpuMsPerWindow <= 5 ? 'PASS' : 'MISS',
      ],
      ['SQL statements per window', scaled.label, scaled.statementsPerWindow.toFixed(2), '(reported)', '-'],
    ];
    if (single && pool) {
      rows.push(
        [
          'windows/s',
          single.label,
          `${single.perSecond.toFixed(1)} (${pct(single.perSecond / IDEAL)})`,
          '(comparison)',
          '-',
        ],
        [
          'windows/s',
          pool.label,
          `${pool.perSecond.toFixed(1)} (${pct(pool.perSecond / IDEAL)})`,
          '(baseline)',
          '-',
        ],
        ['worker CPU per window', single.label, ms(single.cpuMsPerWindow, 2), '(comparison)', '-'],
      );
    }
    if (failover) {
      rows.push(
        ['windows lost when a node dies', failoverRun, lost, '0', lost === 0 ? 'PASS' : 'MISS'],
        [
          'seconds until 3/4 throughput',
          failoverRun,
          recoveredAfter === null ? '> 60' : recoveredAfter.toFixed(1),
          '(reported)',
          '-',
        ],
      );
    }
    printTable(['figure', 'run', 'measured', 'target', 'verdict'], rows);
    printBudget({
      bench: 'inference',
      figures: [
        {
          // The steady state's: a quick run is short enough for the workers' warm-up (JIT, first
          // connections) to weigh on the whole run's figure.
          name: `worker CPU per window outside the model, steady state (${NODES} nodes x ${SLOTS} slots, ${WORKERS} workers)`,
          value: Number((scaled.steadyCpuMsPerWindow ?? scaled.cpuMsPerWindow).toFixed(3)),
          target: 5,
          lowerIsBetter: true,
          unit: 'ms',
        },
        {
          name: `slot saturation (${NODES} nodes x ${SLOTS} slots, ${WORKERS} workers)`,
          value: Number(scaled.slotsBusy.toFixed(4)),
          target: 0.95,
          lowerIsBetter: false,
          unit: 'ratio',
        },
      ],
    });
  } finally {
    await Promise.allSettled(main.fakes.map((fake) => fake.stop()));
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
