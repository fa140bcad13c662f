import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Queue } from 'bullmq';
import type { BullJobQueue } from '../../src/jobs/bullmq-job-queue';
import { webhookEventSink } from '../../src/webhooks/webhook-events';
import { testJobQueue } from './test-jobs';
import type Redis from 'ioredis';
import sharp from 'sharp';
import { loadConfig } from '../../src/config/config';
import { tenantDb } from '../../src/db/tenant-scoped-db';
import { enqueueWindow } from '../../src/ingest/analysis-queue';
import { createLogger } from '../../src/logging/logger';
import { createRedis } from '../../src/redis/redis-client';
import { frameKey, LocalFrameStore } from '../../src/storage/frame-store';
import { RulesRunner, type RulesRunReport } from '../../src/rules/rules-runner';
import { startWorker, type RunningWorker } from '../../src/workers/start-worker';
import { QUEUES } from '../../src/jobs/job-registry';
import { startTestApi, type TestApi } from './api-harness';
import { startFakeVllmProcess, type FakeVllmProcess } from './fake-vllm-process';
import type { Login } from './browser';
import { createTenantFixture, PASSWORD, type TenantFixture } from './tenant-fixture';
import { sampleFile, vtestPath } from './test-media';
import { waitFor } from './wait-for';

/**
 * What a browser test runs against: the real API (serving the console build) and, when asked, a
 * real worker (startWorker: analysis, rules, maintenance) whose GPU pool is one fake vLLM node in
 * its own process; both share a temporary frame store. Plus a fresh tenant (createTenantFixture)
 * whose users sign in with PASSWORD.
 */
export interface E2eStack {
  api: TestApi;
  tenant: TenantFixture;
  fake: FakeVllmProcess | null;
  worker: RunningWorker | null;
  store: LocalFrameStore;
  /** The frame store's directory (FRAME_STORE_DIR), for workers started outside the stack. */
  frameDir: string;
  login(role: 'ADMIN' | 'MODERATOR' | 'AUDITOR'): Login;
  /** Stores frames, writes Frame and Window rows and queues the window, as ingest does. */
  queueWindow(streamId: string, jpegs: Buffer[]): Promise<string>;
  /** `count` windows of the same frames queued one after another, as queueWindow; their ids in order. */
  queueWindows(streamId: string, jpegs: Buffer[], count: number): Promise<string[]>;
  /**
   * A finished analysis of a stored window, evaluated by the real RulesRunner (the rules worker's
   * code: incident, review item, the `added` event on Redis). For items a test needs without
   * waiting on the model.
   */
  analyseAndFire(streamId: string, result: Record<string, unknown>, jpegs?: Buffer[]): Promise<FiredAnalysis>;
  /** A finished analysis of a stored window, as the analysis worker leaves it (no rules run). */
  storeAnalysis(
    streamId: string,
    result: Record<string, unknown>,
    jpegs?: Buffer[],
  ): Promise<{ windowId: string; analysisId: string }>;
  /**
   * Resolves once the analysis queue has nothing waiting or running. A starting worker re-queues
   * every QUEUED window it finds in PostgreSQL (other test files leave some); a test that scripts
   * the fake node's next answer waits for them first, so that its own window gets that answer.
   */
  analysisQueueIdle(timeoutMs?: number): Promise<void>;
  /** A new stream of the tenant on the fixture's template. */
  createStream(name: string): Promise<string>;
  stop(): Promise<void>;
}

export interface FiredAnalysis {
  windowId: string;
  analysisId: string;
  report: RulesRunReport;
}

export const E2E_MODEL = 'qwen3-vl-8b-thinking';

/** The console build the API serves: CONSOLE_DIR when set, else dist/console (`npm run build:console`). */
export function consoleDir(): string {
  const dir = process.env.CONSOLE_DIR || path.resolve(__dirname, '..', '..', 'dist', 'console');
  if (!existsSync(path.join(dir, 'index.html'))) {
    throw new Error(`no console build in ${dir}: run \`npm run build:console\` (or set CONSOLE_DIR)`);
  }
  return dir;
}

export interface E2eStackOptions {
  worker?: boolean;
  prefix?: string;
  /** Serve the console build (the default); medium tests that drive no browser need none. */
  console?: boolean;
  /** Settings of the worker (and API) over the stack's own, e.g. shorter timeouts for fault tests. */
  env?: Record<string, string>;
}

export async function startE2eStack(options: E2eStackOptions = {}): Promise<E2eStack> {
  const root = await mkdtemp(path.join(tmpdir(), 'vigil-e2e-'));
  const frameDir = path.join(root, 'frames');
  const store = new LocalFrameStore(frameDir);
  let fake: FakeVllmProcess | null = null;
  let worker: RunningWorker | null = null;
  let api: TestApi | null = null;
  let connection: Redis | null = null;
  let jobs: BullJobQueue | null = null;
  let queue: Queue | null = null;
  const stop = async () => {
    await worker?.stop();
    await jobs?.close();
    await connection?.quit().catch(() => undefined);
    await api?.stop();
    await fake?.stop();
    await rm(root, { recursive: true, force: true });
  };
  try {
    const env: Record<string, string> = {
      ...(options.console === false ? {} : { CONSOLE_DIR: consoleDir() }),
      FRAME_STORE: 'local',
      FRAME_STORE_DIR: frameDir,
      WORKER_METRICS_PORT: '0',
    };
    if (options.worker) {
      fake = await startFakeVllmProcess({
        latencyMs: 150,
        slots: 8,
        thinkingTokens: 120,
        modelName: E2E_MODEL,
      });
      Object.assign(env, {
        INFERENCE_MODE: 'vlm',
        VLLM_NODES: JSON.stringify([
          { name: 'gpu-fake', url: fake.url, model: E2E_MODEL, maxConcurrency: 8 },
        ]),
        NODE_POLL_INTERVAL_MS: '300',
        INFERENCE_REQUEST_TIMEOUT_MS: '20000',
      });
    }
    Object.assign(env, options.env);
    api = await startTestApi(env);
    const tenant = await createTenantFixture(api, options.prefix ?? 'e2e');
    if (options.worker) {
      const config = loadConfig({ ...process.env, ...env, PORT: '0', HOST: '127.0.0.1' });
      worker = await startWorker(config, createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'));
    }
    connection = createRedis(process.env.REDIS_URL!, { name: 'vigil-e2e' });
    // The worker's own queues: no prefix.
    jobs = testJobQueue(connection, { prefix: null });
    queue = jobs.queue(QUEUES.analysis);
    const rules = new RulesRunner({
      prisma: api.prisma,
      redis: api.redis,
      logger: createLogger('silent'),
      webhooks: webhookEventSink(api.prisma, api.jobs),
    });
    let windowIndex = 1; // the fixture wrote window 0
    const started = api;
    const { slug } = tenant;
    const queueWindow = async (streamId: string, jpegs: Buffer[]): Promise<string> => {
      const window = await writeWindow(streamId, jpegs);
      await enqueueWindow(jobs!, { tenantId: tenant.tenantId, windowId: window.id }, 0);
      return window.id;
    };
    return {
      api: started,
      tenant,
      fake,
      worker,
      store,
      frameDir,
      login: (role) => ({
        tenantSlug: slug,
        email: `${role.toLowerCase()}@${slug}.test`,
        password: PASSWORD,
      }),
      queueWindow,
      async queueWindows(streamId, jpegs, count) {
        const ids: string[] = [];
        for (let n = 0; n < count; n++) ids.push(await queueWindow(streamId, jpegs));
        return ids;
      },
      async analyseAndFire(streamId, result, jpegs) {
        const stored = await storeAnalysis(streamId, result, jpegs);
        const report = await rules.run(tenant.tenantId, stored.analysisId);
        return { ...stored, report };
      },
      storeAnalysis,
      async analysisQueueIdle(timeoutMs = 60_000) {
        await waitFor(
          async () => {
            const counts = await queue!.getJobCounts('waiting', 'active', 'prioritized', 'delayed');
            return Object.values(counts).every((count) => count === 0);
          },
          timeoutMs,
          100,
        );
      },
      async createStream(name) {
        const db = tenantDb(started.prisma, tenant.tenantId);
        const admin = {
          kind: 'user' as const,
          id: tenant.userIds.ADMIN,
          tenantId: tenant.tenantId,
          role: 'ADMIN' as const,
          isPlatformAdmin: false,
        };
        const stream = await started.services.streams.create(db, admin, {
          name,
          sourceUrl: 'rtsp://camera.example.net/' + encodeURIComponent(name),
          templateId: tenant.ids.templateId,
          start: false,
        });
        return stream.id;
      },
      stop,
    };
    async function storeAnalysis(streamId: string, result: Record<string, unknown>, jpegs?: Buffer[]) {
      const window = await writeWindow(streamId, jpegs ?? (await blankFrames(2)));
      const analysis = await tenantDb(started.prisma, tenant.tenantId).analysis.create({
        data: {
          tenantId: tenant.tenantId,
          streamId,
          windowId: window.id,
          templateVersionId: tenant.ids.versionId,
          mode: 'VLM',
          status: 'DONE',
          nodeName: 'gpu-fake',
          model: E2E_MODEL,
          result: result as object,
          reasoning: 'Two people step over the low fence and walk across the lawn; the gate is open.',
          finishReason: 'stop',
          framesSent: window.frameIds.length,
          promptTokens: 900,
          completionTokens: 300,
          reasoningTokens: 120,
          latencyMs: 150,
          attempts: 1,
          startedAt: new Date(Date.now() - 150),
          completedAt: new Date(),
        },
      });
      return { windowId: window.id, analysisId: analysis.id };
    }
    async function writeWindow(streamId: string, jpegs: Buffer[]) {
      const db = tenantDb(started.prisma, tenant.tenantId);
      const index = windowIndex++;
      const start = Date.now() - 5_000;
      const frameIds: string[] = [];
      for (const [i, jpeg] of jpegs.entries()) {
        const sequence = index * 100 + i;
        const capturedAt = new Date(start + i * 500);
        const key = frameKey(tenant.tenantId, streamId, capturedAt, sequence);
        await store.put(key, jpeg);
        const meta = await sharp(jpeg).metadata();
        const frame = await db.frame.create({
          data: {
            tenantId: tenant.tenantId,
            streamId,
            sequence,
            capturedAt,
            storageKey: key,
            sha256: createHash('sha256').update(jpeg).digest('hex'),
            width: meta.width!,
            height: meta.height!,
            bytes: jpeg.length,
            // The sampler's dedup counts near-duplicates it did not keep; show one gap.
            skippedBefore: i === 2 ? 3 : 0,
          },
        });
        frameIds.push(frame.id);
      }
      const window = await db.window.create({
        data: {
          tenantId: tenant.tenantId,
          streamId,
          index,
          frameIds,
          startAt: new Date(start),
          endAt: new Date(start + (jpegs.length - 1) * 500),
        },
      });
      return window;
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Four frames of real fixed-camera footage (vtest.avi) with people in them, or plain frames without it. */
export async function sampleFrames(count = 4): Promise<Buffer[]> {
  const vtest = vtestPath();
  if (vtest) {
    const sampled = await sampleFile(vtest, {
      fps: 2,
      inputOptions: ['-ss', '10', '-t', String(count / 2 + 1)],
    });
    if (sampled.frames.length >= count) return sampled.frames.slice(0, count).map((frame) => frame.jpeg);
  }
  return blankFrames(count);
}

function blankFrames(count: number): Promise<Buffer[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      sharp({
        create: { width: 448, height: 320, channels: 3, background: { r: 90 + i * 20, g: 120, b: 90 } },
      })
        .jpeg()
        .toBuffer(),
    ),
  );
}

/** A model answer in the default result schema: two people crossing the lawn, boxed on every frame. */
export function personOnLawnResult(frames = 4, at = new Date()): Record<string, unknown> {
  const iso = at.toISOString();
  const frameIndexes = Array.from({ length: frames }, (_, i) => i);
  return {
    timestamp: iso,
    objects: [
      {
        label: 'person',
        count: 2,
        confidence: 0.93,
        frames: frameIndexes,
        boxes: frameIndexes.flatMap((frame) => [
          { frame, x: 0.18 + frame * 0.03, y: 0.32, width: 0.09, height: 0.34, confidence: 0.93 },
          { frame, x: 0.6 - frame * 0.02, y: 0.4, width: 0.08, height: 0.3, confidence: 0.88 },
        ]),
      },
    ],
    actions: [{ actor: 'person', action: 'walking', target: 'lawn', start: iso, end: iso }],
    anomalies: [
      {
        type: 'intrusion',
        severity: 'high',
        description: 'Two people walk across the closed lawn',
        evidence: [iso],
      },
    ],
    causalChain: [{ cause: 'The gate was left open', effect: 'People walk onto the lawn', at: iso }],
    rootCause: 'Open gate at the north side',
    verdict: 'review',
    confidence: 0.9,
  };
}

/** Waits for `check` (PostgreSQL polling) to return a value that is not null/undefined. */
export async function eventually<T>(
  check: () => Promise<T | null | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  let value: T | null | undefined;
  await waitFor(async () => {
    value = await check();
    return value !== null && value !== undefined;
  }, timeoutMs);
  return value!;
}
