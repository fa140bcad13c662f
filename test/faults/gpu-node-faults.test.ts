import type { FakeVllmFaultKind } from '../fakes/fake-vllm-server';
import { tenantDb } from '../../src/db/tenant-scoped-db';
import type { WorkerNodeReport } from '../../src/inference/gpu/node-status-board';
import { NODE_STATUS_KEY_PREFIX } from '../../src/pubsub/topics';
import { E2E_MODEL, type E2eStack, sampleFrames, startE2eStack } from '../support/e2e-stack';
import { type FakeVllmProcess, startFakeVllmProcess } from '../support/fake-vllm-process';
import { waitFor } from '../support/wait-for';

/**
 * A real worker with two fake GPU nodes, one of which misbehaves on every request (hangs, dies
 * mid-stream, answers garbage): each accepted window still ends with exactly one analysis, DONE on
 * the healthy node, within a bound; with both nodes dead, each ends DEGRADED (analysed locally).
 */
const WINDOWS = 4;
const IDLE_TIMEOUT_MS = 2_000;
const BOUND_MS = 20_000;

describe('fault: GPU nodes that hang, die mid-stream or answer garbage', () => {
  let stack: E2eStack;
  let faulty: FakeVllmProcess;
  let healthy: FakeVllmProcess;
  let frames: Buffer[];
  let streamId: string;

  beforeAll(async () => {
    const options = { latencyMs: 300, slots: 8, thinkingTokens: 60, modelName: E2E_MODEL };
    [faulty, healthy] = await Promise.all([startFakeVllmProcess(options), startFakeVllmProcess(options)]);
    stack = await startE2eStack({
      worker: true,
      prefix: 'fault-gpu',
      console: false,
      env: {
        VLLM_NODES: JSON.stringify([
          { name: 'gpu-faulty', url: faulty.url, model: E2E_MODEL, maxConcurrency: 8 },
          { name: 'gpu-healthy', url: healthy.url, model: E2E_MODEL, maxConcurrency: 8 },
        ]),
        INFERENCE_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
        NODE_BREAKER_OPEN_MS: '1000',
      },
    });
    await stack.analysisQueueIdle();
    frames = await sampleFrames(2);
    streamId = await stack.createStream('faulty nodes');
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([faulty?.stop(), healthy?.stop()]);
  });

  async function queueWindows(): Promise<string[]> {
    const ids: string[] = [];
    for (let n = 0; n < WINDOWS; n++) ids.push(await stack.queueWindow(streamId, frames));
    return ids;
  }

  /** Until the worker would send the faulty node a request again (its breaker no longer open). */
  async function faultyNodeAvailable(): Promise<void> {
    await waitFor(
      async () => {
        const raw = await stack.api.redis.get(NODE_STATUS_KEY_PREFIX + stack.worker!.workerId);
        const node = raw && (JSON.parse(raw) as WorkerNodeReport).nodes.find((n) => n.name === 'gpu-faulty');
        return !!node && node.healthy === true && node.breaker !== 'open';
      },
      10_000,
      100,
    );
  }

  async function settled(windowIds: string[]) {
    const db = tenantDb(stack.api.prisma, stack.tenant.tenantId);
    const began = Date.now();
    await waitFor(
      async () =>
        (await db.window.count({
          where: { id: { in: windowIds }, status: { in: ['QUEUED', 'RUNNING'] } },
        })) === 0,
      BOUND_MS,
      100,
    );
    const tookMs = Date.now() - began;
    const windows = await db.window.findMany({ where: { id: { in: windowIds } } });
    const analyses = await db.analysis.findMany({ where: { windowId: { in: windowIds } } });
    return { tookMs, windows, analyses };
  }

  it.each<FakeVllmFaultKind>(['hang', 'die-mid-stream', 'garbage'])(
    `a node that answers every request with %s: every window DONE on the healthy node within ${BOUND_MS / 1000} s`,
    async (kind) => {
      await faultyNodeAvailable();
      await Promise.all([faulty.control.reset(), healthy.control.reset()]);
      await faulty.control.addFaults({ kind, count: 1_000 });
      const windowIds = await queueWindows();
      const { tookMs, windows, analyses } = await settled(windowIds);
      expect(tookMs).toBeLessThan(BOUND_MS);
      expect(windows.map((w) => w.status)).toEqual(windowIds.map(() => 'DONE'));
      // One analysis per window, none lost, none doubled: the GPU one, finished by the healthy node.
      expect(analyses.map((a) => a.windowId).sort()).toEqual([...windowIds].sort());
      expect(analyses.map((a) => [a.mode, a.status, a.nodeName])).toEqual(
        windowIds.map(() => ['VLM', 'DONE', 'gpu-healthy']),
      );
      // The faulty node was really tried: the fault is what the windows recovered from.
      expect((await faulty.control.stats()).received).toBeGreaterThan(0);
      expect((await healthy.control.stats()).received).toBe(WINDOWS);
    },
    60_000,
  );

  it(`with every node dead, every window is analysed locally (DEGRADED) within ${BOUND_MS / 1000} s`, async () => {
    await Promise.all([faulty.control.reset(), healthy.control.reset()]);
    await Promise.all([faulty.control.addFaults('engine-dead'), healthy.control.addFaults('engine-dead')]);
    try {
      const windowIds = await queueWindows();
      const { tookMs, windows, analyses } = await settled(windowIds);
      expect(tookMs).toBeLessThan(BOUND_MS);
      expect(windows.map((w) => w.status)).toEqual(windowIds.map(() => 'DEGRADED'));
      const local = analyses.filter((a) => a.mode === 'LOCAL');
      expect(local.map((a) => a.windowId).sort()).toEqual([...windowIds].sort());
      expect(local.every((a) => a.status === 'DEGRADED')).toBe(true);
    } finally {
      await Promise.all([faulty.control.clearFaults(), healthy.control.clearFaults()]);
    }
  }, 60_000);
});
