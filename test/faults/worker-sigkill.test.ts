import { loadConfig } from '../../src/config/config';
import { tenantDb } from '../../src/db/tenant-scoped-db';
import { QUEUES } from '../../src/jobs/job-registry';
import { createLogger } from '../../src/logging/logger';
import { type RunningWorker, startWorker } from '../../src/workers/start-worker';
import { E2E_MODEL, type E2eStack, sampleFrames, startE2eStack } from '../support/e2e-stack';
import { type FakeVllmProcess, startFakeVllmProcess } from '../support/fake-vllm-process';
import { settleLeftoverWork } from '../support/leftover-work';
import { waitFor } from '../support/wait-for';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

/**
 * A worker process is killed with SIGKILL while its windows are on the GPU node: BullMQ's stalled
 * job check hands them to the surviving worker once their locks expire, and each is analysed there
 * exactly once (one analysis row, one answer taken from the node). The analysis lock is shortened
 * here (3 s, checked every second) so the test measures the mechanism, not the production lock of
 * 60 s (DEFAULT_SERVING), with which a killed worker's windows resume within 90 s.
 */
const WINDOWS = 6;
const LOCK_MS = 3_000;
const SERVING = { [QUEUES.analysis]: { lockDurationMs: LOCK_MS, stalledIntervalMs: 1_000 } };
const BOUND_MS = 20_000;

describe(`fault: a worker SIGKILLed mid-analysis (survivor finishes within ${BOUND_MS / 1000} s)`, () => {
  let stack: E2eStack;
  let fake: FakeVllmProcess;
  let victim: WorkerProcess | null = null;
  let survivor: RunningWorker | null = null;
  let env: Record<string, string>;

  beforeAll(async () => {
    fake = await startFakeVllmProcess({
      latencyMs: 4_000,
      slots: 16,
      thinkingTokens: 60,
      modelName: E2E_MODEL,
    });
    await settleLeftoverWork();
    stack = await startE2eStack({ prefix: 'fault-kill', console: false });
    env = {
      FRAME_STORE: 'local',
      FRAME_STORE_DIR: stack.frameDir,
      WORKER_METRICS_PORT: '0',
      HOST: '127.0.0.1',
      INFERENCE_MODE: 'vlm',
      VLLM_NODES: JSON.stringify([{ name: 'gpu-fake', url: fake.url, model: E2E_MODEL, maxConcurrency: 16 }]),
      NODE_POLL_INTERVAL_MS: '300',
    };
  }, 90_000);

  afterAll(async () => {
    await victim?.kill();
    await survivor?.stop();
    await stack?.stop();
    await fake?.stop();
  });

  it(`analyses each window in flight exactly once on the surviving worker`, async () => {
    victim = await startWorkerProcess(env, { serving: SERVING });
    // Windows other test files left QUEUED are analysed first, so the fake's counts are this test's.
    await stack.analysisQueueIdle(90_000);
    await fake.control.reset();

    const streamId = await stack.createStream('killed worker');
    const frames = await sampleFrames(2);
    const windowIds = await stack.queueWindows(streamId, frames, WINDOWS);
    await waitFor(async () => (await fake.control.stats()).running === WINDOWS, 20_000, 50);
    await victim.kill('SIGKILL');
    const killedAt = Date.now();
    const db = tenantDb(stack.api.prisma, stack.tenant.tenantId);
    expect(await db.window.count({ where: { id: { in: windowIds }, status: 'RUNNING' } })).toBe(WINDOWS);

    const config = loadConfig({ ...process.env, ...env });
    survivor = await startWorker(config, createLogger('silent'), { serving: SERVING });
    await waitFor(
      async () => (await db.window.count({ where: { id: { in: windowIds }, status: 'DONE' } })) === WINDOWS,
      BOUND_MS,
      100,
    );
    const recoveredMs = Date.now() - killedAt;
    expect(recoveredMs).toBeLessThan(BOUND_MS);

    const analyses = await db.analysis.findMany({ where: { windowId: { in: windowIds } } });
    expect(analyses.map((a) => a.windowId).sort()).toEqual([...windowIds].sort());
    expect(analyses.every((a) => a.status === 'DONE' && a.mode === 'VLM')).toBe(true);
    expect(analyses.every((a) => a.completedAt!.getTime() > killedAt)).toBe(true);
    // The killed worker's requests were cut off; the survivor took exactly one answer per window.
    const stats = await fake.control.stats();
    expect(stats.aborted).toBe(WINDOWS);
    expect(stats.completed).toBe(WINDOWS);
  }, 120_000);
});
