import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import type { Queue } from 'bullmq';
import type Redis from 'ioredis';
import pino from 'pino';
import sharp from 'sharp';
import { AppConfig, loadConfig } from '../src/config/config';
import { createPrismaClient, PrismaClient } from '../src/db/prisma-client';
import { enqueueWindow } from '../src/ingest/analysis-queue';
import type { NodeDefinition } from '../src/config/node-definition';
import { usageMonth } from '../src/analysis/usage-meter';
import { TOPICS, type ReasoningMessage } from '../src/pubsub/topics';
import { createRedis } from '../src/redis/redis-client';
import { frameKey, LocalFrameStore } from '../src/storage/frame-store';
import { DEFAULT_RESULT_SCHEMA } from '../src/templates/result-schema';
import { AnalysisRuntime, startAnalysisRuntime } from '../src/workers/analysis-runtime';
import type { BullJobQueue } from '../src/jobs/bullmq-job-queue';
import { QUEUES } from '../src/jobs/job-registry';
import { testJobQueue } from './support/test-jobs';
import { InferenceMetrics } from '../src/inference/inference-metrics';
import { Registry } from 'prom-client';
import { FakeVllmProcess, startFakeVllmProcess } from './support/fake-vllm-process';
import { sampleFile, TEST_MEDIA_DIR, vtestPath } from './support/test-media';
import { waitFor } from './support/wait-for';
import { SceneClips } from './support/scene-clips';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { saveScene } from '../src/streams/stream-scene';
import { systemActor } from '../src/audit/audit-log';

/**
 * The analysis worker end to end: windows recorded in PostgreSQL and queued on BullMQ (real Redis)
 * are analysed by the real local detector (TensorFlow.js WASM, in the runtime's pool of worker
 * threads) and by fake GPU nodes, each its own process speaking vLLM's wire contract; Analysis rows,
 * window states, usage counters, budgets and the pub/sub messages are checked in the real stores.
 */
const MODEL = 'qwen3-vl-8b-thinking';
const logger = pino({ level: 'silent' });
const validateDefault = new Ajv({ strict: false }).compile(DEFAULT_RESULT_SCHEMA);

let prisma: PrismaClient;
let connection: Redis;
let jobs: BullJobQueue;
let queue: Queue;
let store: LocalFrameStore;
let root: string;
let peopleFrames: Buffer[];
let blankFrame: Buffer;
let fake: FakeVllmProcess;
const clips = new SceneClips();

interface Seeded {
  tenantId: string;
  streamId: string;
  versionId: string;
}

async function seedTenant(
  options: {
    gateObjects?: string[];
    reanalyseDegraded?: boolean;
    monthlyTokenBudget?: bigint;
    overBudgetAction?: 'LOCAL' | 'PAUSE';
    windowSize?: number;
  } = {},
): Promise<Seeded> {
  const tenant = await prisma.tenant.create({
    data: {
      slug: `analysis-${randomBytes(4).toString('hex')}`,
      name: 'Analysis test',
      monthlyTokenBudget: options.monthlyTokenBudget ?? 50_000_000n,
      overBudgetAction: options.overBudgetAction ?? 'LOCAL',
      policyText: 'People on the lawn after dark need review.',
    },
  });
  const template = await prisma.promptTemplate.create({ data: { tenantId: tenant.id, name: 'Lawn watch' } });
  const version = await prisma.promptTemplateVersion.create({
    data: {
      tenantId: tenant.id,
      templateId: template.id,
      version: 1,
      systemText: 'You watch a lawn.',
      instructionText: 'Report what happens on {{streamName}}.',
      resultSchema: DEFAULT_RESULT_SCHEMA as object,
      mode: 'THINKING',
      modelName: MODEL,
      temperature: 0.6,
      topP: 0.95,
      topK: 20,
      presencePenalty: 0,
      maxCompletionTokens: 2048,
      thinkingTokenBudget: 1024,
      gateObjects: options.gateObjects ?? [],
      reanalyseDegraded: options.reanalyseDegraded ?? false,
    },
  });
  await prisma.promptTemplate.update({ where: { id: template.id }, data: { activeVersionId: version.id } });
  const stream = await prisma.stream.create({
    data: {
      tenantId: tenant.id,
      name: 'Lawn camera',
      sourceUrl: 'rtsp://camera.example.net/lawn',
      kind: 'RTSP',
      status: 'ACTIVE',
      templateId: template.id,
      windowSize: options.windowSize ?? 4,
    },
  });
  return { tenantId: tenant.id, streamId: stream.id, versionId: version.id };
}

let windowIndex = 0;
/** Stores the frames, writes Frame and Window rows, and queues the window as ingest does. */
async function queueWindow(seeded: Seeded, jpegs: Buffer[]): Promise<string> {
  const frameIds: string[] = [];
  const start = Date.UTC(2026, 10, 21, 20, 0, 0) + windowIndex * 10_000;
  for (const [i, jpeg] of jpegs.entries()) {
    const sequence = windowIndex * 100 + i;
    const key = frameKey(seeded.tenantId, seeded.streamId, new Date(start + i * 500), sequence);
    await store.put(key, jpeg);
    const meta = await sharp(jpeg).metadata();
    const frame = await prisma.frame.create({
      data: {
        tenantId: seeded.tenantId,
        streamId: seeded.streamId,
        sequence,
        capturedAt: new Date(start + i * 500),
        storageKey: key,
        sha256: createHash('sha256').update(jpeg).digest('hex'),
        width: meta.width!,
        height: meta.height!,
        bytes: jpeg.length,
      },
    });
    frameIds.push(frame.id);
  }
  const window = await prisma.window.create({
    data: {
      tenantId: seeded.tenantId,
      streamId: seeded.streamId,
      index: windowIndex++,
      frameIds,
      startAt: new Date(start),
      endAt: new Date(start + (jpegs.length - 1) * 500),
    },
  });
  await enqueueWindow(jobs, { tenantId: seeded.tenantId, windowId: window.id }, 0);
  return window.id;
}

async function windowSettles(windowId: string, statuses: string[] = ['DONE', 'FAILED', 'GATED', 'DEGRADED']) {
  let status = '';
  await waitFor(async () => {
    status = (await prisma.window.findUniqueOrThrow({ where: { id: windowId } })).status;
    return statuses.includes(status);
  }, 60_000);
  return prisma.window.findUniqueOrThrow({ where: { id: windowId }, include: { analyses: true } });
}

/** The runtime of the running describe block: its usage counters are flushed before they are read. */
let active: AnalysisRuntime | null = null;

async function usage(seeded: Seeded) {
  await active?.analysis.usage.flush();
  return prisma.usageCounter.findUniqueOrThrow({
    where: {
      tenantId_streamId_month: { tenantId: seeded.tenantId, streamId: seeded.streamId, month: usageMonth() },
    },
  });
}

function config(env: Record<string, string>): AppConfig {
  return loadConfig({
    ...process.env,
    NODE_POLL_INTERVAL_MS: '300',
    NODE_BREAKER_OPEN_MS: '1000',
    INFERENCE_IDLE_TIMEOUT_MS: '3000',
    INFERENCE_REQUEST_TIMEOUT_MS: '20000',
    ANALYSIS_CONCURRENCY: '8',
    ...env,
  });
}

let registry = new Registry();
/** The configuration the latest runtime was started with. */
let started: AppConfig | null = null;
const runtimeConfig = (): AppConfig => started!;

async function startRuntime(
  mode: 'local' | 'vlm',
  nodes: () => NodeDefinition[] = () => [],
): Promise<AnalysisRuntime> {
  registry = new Registry();
  started = config({
    INFERENCE_MODE: mode,
    INFERENCE_MAX_REASONING_CHARS: '20000',
    INFERENCE_MAX_ANSWER_CHARS: '8000',
  });
  return startAnalysisRuntime({
    metrics: new InferenceMetrics(registry),
    config: started,
    prisma,
    connection,
    jobs,
    store,
    logger,
    workerId: `test-${randomBytes(3).toString('hex')}`,
    loadNodes: async () => nodes(),
    reanalysisDelayMs: 300,
  });
}

const node = (): NodeDefinition => ({
  name: 'gpu-fake',
  url: fake.url,
  apiKey: 'node-key',
  model: MODEL,
  maxConcurrency: 4,
  weight: 1,
  state: 'ACTIVE',
  source: 'config',
});

beforeAll(async () => {
  await clips.prepare();
  const vtest = vtestPath();
  if (!vtest) {
    throw new Error(`${TEST_MEDIA_DIR}/vtest.avi is missing: run \`bash scripts/fetch-test-media.sh\``);
  }
  const sampled = await sampleFile(vtest, { fps: 2, inputOptions: ['-ss', '10', '-t', '2'] });
  peopleFrames = sampled.frames.slice(0, 4).map((frame) => frame.jpeg);
  expect(peopleFrames).toHaveLength(4);
  blankFrame = await sharp({ create: { width: 448, height: 320, channels: 3, background: '#777' } })
    .jpeg()
    .toBuffer();
  prisma = createPrismaClient(process.env.DATABASE_URL!);
  connection = createRedis(process.env.REDIS_URL!, { forWorkers: true });
  jobs = testJobQueue(connection, { prefix: null });
  queue = jobs.queue(QUEUES.analysis);
  await queue.obliterate({ force: true });
  root = await mkdtemp(path.join(tmpdir(), 'vigil-analysis-'));
  store = new LocalFrameStore(root);
  fake = await startFakeVllmProcess({ apiKey: 'node-key', latencyMs: 100, slots: 4 });
}, 120_000);

afterAll(async () => {
  await fake?.stop();
  await queue?.obliterate({ force: true });
  await jobs?.close();
  await connection?.quit();
  await prisma?.$disconnect();
  if (root) await rm(root, { recursive: true, force: true });
  clips.remove();
});

describe('INFERENCE_MODE=local: no GPU at all', () => {
  let runtime: AnalysisRuntime;
  beforeAll(async () => {
    runtime = await startRuntime('local');
    active = runtime;
  });
  afterAll(async () => {
    await runtime.close();
  });

  it('analyses each window with the CPU detector: objects with boxes, no reasoning, mode LOCAL', async () => {
    const seeded = await seedTenant();
    const windowId = await queueWindow(seeded, peopleFrames);
    const window = await windowSettles(windowId);
    expect(window.status).toBe('DONE');
    expect(window.analyses).toHaveLength(1);
    const [analysis] = window.analyses;
    expect(analysis).toMatchObject({
      mode: 'LOCAL',
      status: 'DONE',
      reasoning: '',
      nodeName: null,
      promptTokens: 0,
    });
    const result = analysis!.result as { objects: { label: string; boxes: unknown[] }[] };
    expect(validateDefault(result)).toBe(true);
    const person = result.objects.find((object) => object.label === 'person');
    expect(person?.boxes.length).toBeGreaterThan(0);
    expect(await usage(seeded)).toMatchObject({ windowsAnalysed: 1, framesSent: 0, promptTokens: 0n });
    // Flushed with the usage counters.
    expect((await prisma.stream.findUniqueOrThrow({ where: { id: seeded.streamId } })).windowsAnalysed).toBe(
      1,
    );
  }, 60_000);

  it('fires a zone rule once per event, not once per window, with the scene its stream had', async () => {
    const seeded = await seedTenant({ windowSize: 8 });
    const db = tenantDb(prisma, seeded.tenantId);
    const saved = await saveScene(db, systemActor(seeded.tenantId, 'test'), {
      streamId: seeded.streamId,
      expectedVersion: 0,
      zones: [
        {
          name: 'bench',
          labels: ['person'],
          polygon: [
            { x: 0.55, y: 0.5 },
            { x: 0.9, y: 0.5 },
            { x: 0.9, y: 1 },
            { x: 0.55, y: 1 },
          ],
        },
      ],
      lines: [],
    });
    const rule = (name: string, condition: object) =>
      prisma.rule.create({
        data: {
          tenantId: seeded.tenantId,
          name,
          condition,
          action: { type: 'alert', severity: 'medium' },
          cooldownSeconds: 600,
        },
      });
    const entering = await rule('Someone sits down at the bench', {
      event: { type: 'enter', zone: 'bench', label: 'person' },
    });
    const anyone = await rule('Someone is in view', { object: { label: 'person' } });

    // The scripted walk, at 2 fps, in windows of 8 frames every 4 as ingest makes them.
    const sampled = await sampleFile(await clips.walk(), { fps: 2 });
    const start = Date.UTC(2026, 10, 22, 8, 0, 0);
    const frames = [];
    for (const frame of sampled.frames) {
      const capturedAt = new Date(start + frame.seconds * 1000);
      const key = frameKey(seeded.tenantId, seeded.streamId, capturedAt, frame.index);
      await store.put(key, frame.jpeg);
      frames.push(
        await prisma.frame.create({
          data: {
            tenantId: seeded.tenantId,
            streamId: seeded.streamId,
            sequence: frame.index,
            capturedAt,
            storageKey: key,
            sha256: createHash('sha256').update(frame.jpeg).digest('hex'),
            width: sampled.width,
            height: sampled.height,
            bytes: frame.jpeg.length,
          },
        }),
      );
    }
    const analysed: string[] = [];
    for (let first = 0, index = 0; first + 8 <= frames.length; first += 4, index += 1) {
      const slice = frames.slice(first, first + 8);
      const window = await prisma.window.create({
        data: {
          tenantId: seeded.tenantId,
          streamId: seeded.streamId,
          index,
          frameIds: slice.map((frame) => frame.id),
          startAt: slice[0]!.capturedAt,
          endAt: slice.at(-1)!.capturedAt,
        },
      });
      await enqueueWindow(jobs, { tenantId: seeded.tenantId, windowId: window.id }, 0);
      expect((await windowSettles(window.id)).status).toBe('DONE');
      analysed.push(window.id);
    }
    await waitFor(
      async () =>
        (await prisma.analysis.count({
          where: { windowId: { in: analysed }, rulesEvaluatedAt: { not: null } },
        })) === analysed.length,
      60_000,
    );
    const results = await prisma.analysis.findMany({
      where: { windowId: { in: analysed } },
      select: { result: true },
    });
    const events = results.flatMap(
      ({ result }) => (result as { events: { type: string; zone?: string }[] }).events,
    );
    expect(events.filter((event) => event.type === 'enter' && event.zone === 'bench')).toHaveLength(1);
    expect(
      results.every(({ result }) => (result as { sceneVersion: number }).sceneVersion === saved.version),
    ).toBe(true);

    // The event rule fired once; the per-window rule on every window, stitched into one incident.
    const incidents = (ruleId: string) => prisma.incident.findMany({ where: { ruleId } });
    const [enterIncidents, anyoneIncidents] = await Promise.all([
      incidents(entering.id),
      incidents(anyone.id),
    ]);
    expect(enterIncidents.map((incident) => incident.firings)).toEqual([1]);
    expect(anyoneIncidents).toHaveLength(1);
    expect(anyoneIncidents[0]!.firings).toBeGreaterThanOrEqual(analysed.length - 1);
  }, 180_000);
});

describe('INFERENCE_MODE=vlm with a fake GPU node', () => {
  let runtime: AnalysisRuntime;
  let subscriber: Redis;
  const messages: { channel: string; message: unknown }[] = [];

  beforeAll(async () => {
    runtime = await startRuntime('vlm', () => [node()]);
    active = runtime;
    subscriber = connection.duplicate();
    await subscriber.psubscribe('vigil:t:*');
    subscriber.on('pmessage', (_pattern, channel, message) =>
      messages.push({ channel, message: JSON.parse(message) }),
    );
  }, 60_000);
  afterAll(async () => {
    await subscriber.quit();
    await runtime.close();
  });
  beforeEach(async () => {
    await fake.control.reset();
    await fake.control.configure({ reasoningParser: true, sendsUsage: true });
    messages.length = 0;
  });

  /** The reasoning deltas published live for an analysis, joined. */
  const publishedReasoning = (tenantId: string, analysisId: string): string =>
    messages
      .filter((m) => m.channel === TOPICS.analysisReasoning(tenantId, analysisId))
      .map((m) => m.message as ReasoningMessage)
      .flatMap((m) => (m.type === 'delta' ? [m.text] : []))
      .join('');

  it('stores the result, reasoning and usage; publishes reasoning live; a repeated job adds nothing', async () => {
    const seeded = await seedTenant();
    const windowId = await queueWindow(seeded, peopleFrames);
    const window = await windowSettles(windowId);
    expect(window.status).toBe('DONE');
    const [analysis] = window.analyses;
    expect(analysis).toMatchObject({
      mode: 'VLM',
      status: 'DONE',
      nodeName: 'gpu-fake',
      model: MODEL,
      finishReason: 'stop',
      framesSent: 4,
      attempts: 1,
      error: null,
    });
    expect(analysis!.reasoning.length).toBeGreaterThan(20);
    expect(analysis!.promptTokens).toBeGreaterThan(4 * 14 * 8);
    expect(analysis!.reasoningTokens).toBeGreaterThan(0);
    expect(validateDefault(analysis!.result)).toBe(true);
    const counted = await usage(seeded);
    expect(counted).toMatchObject({ windowsAnalysed: 1, framesSent: 4 });
    // vtest.avi (768x576) sampled at 448 px on the 32 px grid is 448x320: 14 x 10 tokens + 2 markers.
    expect((await sharp(peopleFrames[0]!).metadata()).height).toBe(320);
    expect(Number(counted.visionTokens)).toBe(4 * (14 * 10 + 2));
    expect(Number(counted.promptTokens)).toBe(analysis!.promptTokens);
    expect(Number(counted.gpuMs)).toBeGreaterThan(0);

    const reasoningChannel = TOPICS.analysisReasoning(seeded.tenantId, analysis!.id);
    await waitFor(
      async () => messages.some((m) => m.channel === TOPICS.analysesFinished(seeded.tenantId)),
      5_000,
    );
    const live = messages
      .filter((m) => m.channel === reasoningChannel)
      .map((m) => m.message as ReasoningMessage);
    expect(live[0]).toMatchObject({ type: 'attempt', attempt: 1, node: 'gpu-fake' });
    expect(live.at(-1)).toMatchObject({ type: 'end' });
    const deltas = live.filter((m): m is Extract<ReasoningMessage, { type: 'delta' }> => m.type === 'delta');
    expect(deltas.map((m) => m.text).join('')).toBe(analysis!.reasoning);
    // Each delta says where it goes, and the worker kept the attempt's text so far under its key
    // (what the API answers for Analysis.reasoning while the analysis runs).
    let offset = 0;
    for (const delta of deltas) {
      expect(delta.offset).toBe(offset);
      offset += delta.text.length;
    }
    expect(await connection.get(TOPICS.analysisReasoningSoFar(seeded.tenantId, analysis!.id))).toBe(
      analysis!.reasoning,
    );
    expect(
      await connection.ttl(TOPICS.analysisReasoningSoFar(seeded.tenantId, analysis!.id)),
    ).toBeGreaterThan(0);
    expect(messages.find((m) => m.channel === TOPICS.analysesFinished(seeded.tenantId))!.message).toEqual({
      cursor: expect.stringMatching(/^\d+-\d+$/),
      payload: { analysisId: analysis!.id, windowId, streamId: seeded.streamId, status: 'DONE', mode: 'VLM' },
    });

    // The same job again (a duplicate after Redis lost track of it): no second analysis, no second request.
    const received = (await fake.control.stats()).received;
    await (await queue.getJob(windowId))?.remove();
    await enqueueWindow(jobs, { tenantId: seeded.tenantId, windowId }, 0);
    await waitFor(async () => (await queue.getJob(windowId))?.finishedOn !== undefined, 10_000);
    expect(await prisma.analysis.count({ where: { windowId } })).toBe(1);
    expect((await fake.control.stats()).received).toBe(received);
    expect((await usage(seeded)).windowsAnalysed).toBe(1);

    // The worker's Prometheus metrics: metering per tenant and stream, and the node's state.
    const labels = `tenant="${seeded.tenantId}",stream="${seeded.streamId}"`;
    const text = await registry.metrics();
    expect(text).toContain(`vigil_analysis_windows_total{${labels},outcome="done",mode="vlm"} 1`);
    expect(text).toContain(`vigil_analysis_frames_sent_total{${labels}} 4`);
    expect(text).toContain(`vigil_analysis_vision_tokens_total{${labels}} ${4 * (14 * 10 + 2)}`);
    expect(text).toContain(`vigil_analysis_prompt_tokens_total{${labels}} ${analysis!.promptTokens}\n`);
    expect(text).toMatch(
      /vigil_inference_request_duration_seconds_count\{node="gpu-fake",outcome="ok"\} [1-9]/,
    );
    expect(text).toContain('vigil_inference_node_breaker_state{node="gpu-fake"} 0');
    expect(text).toContain('vigil_inference_node_healthy{node="gpu-fake"} 1');
  }, 60_000);

  it('lets one job at a time analyse a window: another waits for its lease, a dead holder is taken over', async () => {
    const seeded = await seedTenant();
    await fake.control.configure({ latencyMs: 2_000 });
    const windowId = await queueWindow(seeded, peopleFrames);
    await waitFor(async () => (await fake.control.stats()).received === 1, 20_000);
    const held = await prisma.window.findUniqueOrThrow({ where: { id: windowId } });
    expect(held.status).toBe('RUNNING');
    expect(held.leaseUntil!.getTime()).toBeGreaterThan(Date.now());

    // A second job for the window (as the reconciler queues one after Redis lost its data) while
    // the first is still asking the node: it waits until the lease would run out, asks nothing.
    const second = await runtime.analysis.analyse(seeded.tenantId, windowId);
    expect(second).toMatchObject({ status: 'HELD' });
    const retryInMs = (second as { retryInMs: number }).retryInMs;
    expect(retryInMs).toBeGreaterThan(20_000);
    expect(retryInMs).toBeLessThanOrEqual(31_000);
    expect((await fake.control.stats()).received).toBe(1);
    // When it comes back, the window is finished: nothing to do, still one request.
    expect((await windowSettles(windowId)).status).toBe('DONE');
    expect(await runtime.analysis.analyse(seeded.tenantId, windowId)).toMatchObject({ status: 'SKIPPED' });
    expect((await fake.control.stats()).received).toBe(1);
    expect(await prisma.analysis.count({ where: { windowId } })).toBe(1);

    // A window whose holder died (RUNNING, its lease run out) is taken over by the next job.
    await fake.control.configure({ latencyMs: 0 });
    const orphanId = await queueWindow(seeded, peopleFrames);
    expect((await windowSettles(orphanId)).status).toBe('DONE');
    await prisma.analysis.deleteMany({ where: { windowId: orphanId } });
    const before = (await fake.control.stats()).received;
    await prisma.window.update({
      where: { id: orphanId },
      data: {
        status: 'RUNNING',
        leaseToken: '00000000-0000-4000-8000-000000000001',
        leaseUntil: new Date(Date.now() - 1_000),
      },
    });
    expect(await runtime.analysis.analyse(seeded.tenantId, orphanId)).toMatchObject({
      status: 'DONE',
      mode: 'VLM',
    });
    expect((await fake.control.stats()).received).toBe(before + 1);
    // A live lease of another holder is not: the same row with the lease a minute ahead waits.
    await prisma.window.update({
      where: { id: orphanId },
      data: { status: 'RUNNING', leaseUntil: new Date(Date.now() + 60_000) },
    });
    expect(await runtime.analysis.analyse(seeded.tenantId, orphanId)).toMatchObject({ status: 'HELD' });
    expect((await fake.control.stats()).received).toBe(before + 1);
  }, 60_000);

  it('gates windows in which the detector finds none of what the template lists', async () => {
    const seeded = await seedTenant({ gateObjects: ['person'] });
    const empty = await windowSettles(
      await queueWindow(seeded, [blankFrame, blankFrame, blankFrame, blankFrame]),
    );
    expect(empty.status).toBe('GATED');
    expect(empty.analyses).toMatchObject([{ mode: 'LOCAL', status: 'GATED' }]);
    expect(empty.analyses[0]!.error).toContain('person');
    expect((await fake.control.stats()).received).toBe(0);

    const people = await windowSettles(await queueWindow(seeded, peopleFrames));
    expect(people.status).toBe('DONE');
    expect(people.analyses).toMatchObject([{ mode: 'VLM', status: 'DONE' }]);
    expect((await fake.control.stats()).received).toBe(1);
    expect(await usage(seeded)).toMatchObject({ windowsGated: 1, windowsAnalysed: 1, framesSent: 4 });
  }, 60_000);

  it('falls back to the local detector when every node is down (DEGRADED), then re-analyses on the GPU', async () => {
    const seeded = await seedTenant({ reanalyseDegraded: true });
    await fake.control.addFaults('engine-dead');
    await runtime.pool!.pollNow();
    const windowId = await queueWindow(seeded, peopleFrames);
    const degraded = await windowSettles(windowId);
    expect(degraded.status).toBe('DEGRADED');
    const local = degraded.analyses.find((a) => a.mode === 'LOCAL')!;
    expect(local.status).toBe('DEGRADED');
    expect(local.error).toContain('every GPU node is down');
    expect(validateDefault(local.result)).toBe(true);
    // The wish for a GPU re-analysis is in PostgreSQL, so a job Redis loses can be queued again.
    const wanted = await prisma.window.findUniqueOrThrow({ where: { id: windowId } });
    expect(wanted.reanalysisWantedSince).toBeInstanceOf(Date);

    await fake.control.clearFaults();
    await runtime.pool!.pollNow();
    const redone = await windowSettles(windowId, ['DONE']);
    const vlm = redone.analyses.find((a) => a.mode === 'VLM')!;
    expect(vlm).toMatchObject({ status: 'DONE', nodeName: 'gpu-fake' });
    expect(redone.analyses).toHaveLength(2);
    // Cleared just after the GPU result is saved.
    await waitFor(
      async () =>
        (await prisma.window.findUniqueOrThrow({ where: { id: windowId } })).reanalysisWantedSince === null,
      5_000,
    );
    expect(await usage(seeded)).toMatchObject({ windowsDegraded: 1, windowsAnalysed: 2 });
  }, 60_000);

  it('marks the analysis FAILED with the reason when the answer is not JSON twice, never inventing one', async () => {
    const seeded = await seedTenant();
    await fake.control.addFaults({ kind: 'invalid-json-content', count: 2 });
    const window = await windowSettles(await queueWindow(seeded, peopleFrames));
    expect(window.status).toBe('FAILED');
    expect(window.error).toMatch(/not JSON/);
    expect(window.analyses).toHaveLength(1);
    expect(window.analyses[0]).toMatchObject({ mode: 'VLM', status: 'FAILED', result: null });
    const budgets = (await fake.control.stats()).requests.map((r) => r.max_completion_tokens);
    expect(budgets).toEqual([2048, 4096]);
    expect(await usage(seeded)).toMatchObject({ windowsFailed: 1, windowsAnalysed: 0 });
  }, 60_000);

  it.each([
    ['runaway-reasoning', 'reasoning_cap', 'INFERENCE_MAX_REASONING_CHARS'],
    ['runaway-content', 'content_cap', 'INFERENCE_MAX_ANSWER_CHARS'],
  ] as const)(
    'stops a %s at its cap: the request is aborted, the analysis FAILED, nothing past the cap stored or published',
    async (fault, finishReason, setting) => {
      const caps = runtimeConfig();
      const seeded = await seedTenant();
      await fake.control.addFaults(fault);
      const window = await windowSettles(await queueWindow(seeded, peopleFrames));
      expect(window.status).toBe('FAILED');
      const [analysis] = window.analyses;
      expect(analysis).toMatchObject({
        mode: 'VLM',
        status: 'FAILED',
        finishReason,
        result: null,
        attempts: 1,
      });
      expect(analysis!.error).toContain(setting);
      expect(window.error).toContain(setting);
      expect(analysis!.reasoning.length).toBeLessThanOrEqual(caps.INFERENCE_MAX_REASONING_CHARS);
      if (fault === 'runaway-reasoning') {
        expect(analysis!.reasoning.length).toBe(caps.INFERENCE_MAX_REASONING_CHARS);
      }
      await waitFor(
        async () => messages.some((m) => m.channel === TOPICS.analysesFinished(seeded.tenantId)),
        5_000,
      );
      expect(publishedReasoning(seeded.tenantId, analysis!.id)).toBe(analysis!.reasoning);
      const soFar = await connection.get(TOPICS.analysisReasoningSoFar(seeded.tenantId, analysis!.id));
      expect(soFar!.length).toBeLessThanOrEqual(caps.INFERENCE_MAX_REASONING_CHARS);
      // The worker went away: the node stopped long before its 64 MB.
      await waitFor(async () => (await fake.control.stats()).aborted === 1, 5_000);
      const stats = await fake.control.stats();
      expect(stats.received).toBe(1);
      expect(stats.sentBytes).toBeLessThan(16 * 1024 * 1024);
      expect(runtime.pool!.status()[0]!.breaker).toBe('closed');
    },
    60_000,
  );

  it('keeps the GPU bookkeeping of a window that falls back to local analysis after requests went out', async () => {
    const seeded = await seedTenant();
    // The only node fails mid-answer: none is left for the window, which is analysed locally.
    await fake.control.addFaults('stream-error');
    const window = await windowSettles(await queueWindow(seeded, peopleFrames));
    expect(window.status).toBe('DEGRADED');
    const vlm = window.analyses.find((a) => a.mode === 'VLM')!;
    expect(vlm).toMatchObject({
      status: 'FAILED',
      nodeName: 'gpu-fake',
      attempts: 1,
      framesSent: 4,
      visionTokens: 4 * (14 * 10 + 2),
      usageEstimated: true,
    });
    expect(vlm.latencyMs).toBeGreaterThan(0);
    expect(vlm.promptTokens).toBeGreaterThan(4 * (14 * 10 + 2));
    expect(vlm.error).toContain('error during the stream');
    expect(window.analyses.find((a) => a.mode === 'LOCAL')).toMatchObject({ status: 'DEGRADED' });
    const counted = await usage(seeded);
    expect(counted).toMatchObject({ windowsDegraded: 1, windowsAnalysed: 1, framesSent: 4 });
    expect(Number(counted.visionTokens)).toBe(4 * (14 * 10 + 2));
    expect(Number(counted.promptTokens)).toBe(vlm.promptTokens);
    expect(Number(counted.estimatedTokens)).toBe(vlm.promptTokens + vlm.completionTokens);
    expect(Number(counted.gpuMs)).toBeGreaterThan(0);
  }, 60_000);

  it('estimates and marks the tokens of a node that sends no usage chunk', async () => {
    await fake.control.configure({ sendsUsage: false });
    const seeded = await seedTenant();
    const window = await windowSettles(await queueWindow(seeded, peopleFrames));
    expect(window.status).toBe('DONE');
    const [analysis] = window.analyses;
    expect(analysis).toMatchObject({ mode: 'VLM', status: 'DONE', usageEstimated: true });
    // Image tokens are known exactly; text is counted at about four characters a token.
    expect(analysis!.promptTokens).toBeGreaterThan(4 * (14 * 10 + 2));
    expect(analysis!.promptTokens).toBeLessThan(4 * (14 * 10 + 2) + 1_000);
    expect(analysis!.completionTokens).toBeGreaterThan(analysis!.reasoningTokens);
    expect(analysis!.reasoningTokens).toBeGreaterThan(0);
    const counted = await usage(seeded);
    expect(Number(counted.promptTokens)).toBe(analysis!.promptTokens);
    expect(Number(counted.estimatedTokens)).toBe(analysis!.promptTokens + analysis!.completionTokens);

    // A node that reports usage is not marked.
    await fake.control.configure({ sendsUsage: true });
    const reported = await windowSettles(await queueWindow(seeded, peopleFrames));
    expect(reported.analyses[0]).toMatchObject({ status: 'DONE', usageEstimated: false });
  }, 60_000);

  it('separates the reasoning a node without a reasoning parser leaves in content', async () => {
    await fake.control.configure({ reasoningParser: false });
    const seeded = await seedTenant();
    const window = await windowSettles(await queueWindow(seeded, peopleFrames));
    expect(window.status).toBe('DONE');
    const [analysis] = window.analyses;
    expect(analysis!.reasoning).toMatch(/^The first frame shows/);
    expect(analysis!.reasoning).not.toContain('think>');
    expect(validateDefault(analysis!.result)).toBe(true);
    await waitFor(
      async () => messages.some((m) => m.channel === TOPICS.analysesFinished(seeded.tenantId)),
      5_000,
    );
    expect(publishedReasoning(seeded.tenantId, analysis!.id)).toBe(analysis!.reasoning);
  }, 60_000);

  it('fails a window the node refuses (400) with what the tenant should change', async () => {
    const seeded = await seedTenant({ windowSize: 9 });
    const window = await windowSettles(
      await queueWindow(seeded, [...peopleFrames, ...peopleFrames, peopleFrames[0]!]),
    );
    expect(window.status).toBe('FAILED');
    expect(window.error).toContain("Lower the stream's windowSize to 8 or less");
    expect(runtime.pool!.status()[0]!.breaker).toBe('closed');
  }, 60_000);

  it('switches a tenant over its monthly token budget to local analysis and pauses its streams if it chose so', async () => {
    const seeded = await seedTenant({ monthlyTokenBudget: 1_000n, overBudgetAction: 'PAUSE' });
    await prisma.usageCounter.create({
      data: {
        tenantId: seeded.tenantId,
        streamId: seeded.streamId,
        month: usageMonth(),
        promptTokens: 900n,
        completionTokens: 200n,
      },
    });
    const window = await windowSettles(await queueWindow(seeded, peopleFrames));
    expect(window.status).toBe('DONE');
    expect(window.analyses).toMatchObject([{ mode: 'LOCAL', status: 'DONE' }]);
    expect(window.analyses[0]!.error).toContain('monthly token budget');
    expect((await fake.control.stats()).received).toBe(0);
    const stream = await prisma.stream.findUniqueOrThrow({ where: { id: seeded.streamId } });
    expect(stream.status).toBe('PAUSED');
    expect(stream.lastError).toContain('monthly token budget (1000 tokens) is used up');
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { id: seeded.tenantId } });
    expect(tenant.budgetExhaustedMonth).toBe(usageMonth());
    expect(
      await prisma.auditEvent.count({
        where: { tenantId: seeded.tenantId, action: 'tenant.budget-exhausted' },
      }),
    ).toBe(1);
  }, 60_000);
});
