import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Queue, Worker } from 'bullmq';
import type { BullJobQueue } from '../src/jobs/bullmq-job-queue';
import { QUEUES } from '../src/jobs/job-registry';
import type Redis from 'ioredis';
import sharp from 'sharp';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { priorityForBacklog } from '../src/ingest/analysis-queue';
import { RecordableFrame, StreamRecorder, StreamRef } from '../src/ingest/stream-recorder';
import { reconcileWindows } from '../src/ingest/window-reconciler';
import { createRedis } from '../src/redis/redis-client';
import { LocalFrameStore } from '../src/storage/frame-store';
import { startTestApi, TestApi } from './support/api-harness';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';
import { testJobQueue } from './support/test-jobs';

async function jpeg(shade: number): Promise<Buffer> {
  return sharp({
    create: { width: 64, height: 32, channels: 3, background: { r: shade, g: shade, b: shade } },
  })
    .jpeg()
    .toBuffer();
}

const frameAt = async (sequence: number): Promise<RecordableFrame> => ({
  sequence,
  capturedAt: new Date(Date.UTC(2026, 10, 21, 12, 0, 0, sequence * 500)),
  jpeg: await jpeg((sequence * 37) % 256),
  width: 64,
  height: 32,
});

describe('stream recorder: frames, windows and the analysis queue on PostgreSQL and Redis', () => {
  let api: TestApi;
  let tenant: TenantFixture;
  let connection: Redis;
  let jobs: BullJobQueue;
  let queue: Queue;
  let root: string;
  let store: LocalFrameStore;

  beforeAll(async () => {
    api = await startTestApi();
    tenant = await createTenantFixture(api, 'recorder');
    connection = createRedis(api.config.REDIS_URL, { forWorkers: true });
    root = await mkdtemp(path.join(tmpdir(), 'vigil-recorder-'));
    store = new LocalFrameStore(root);
  }, 30_000);

  beforeEach(() => {
    jobs = testJobQueue(connection);
    queue = jobs.queue(QUEUES.analysis);
  });
  afterEach(async () => {
    await queue.obliterate({ force: true });
    await jobs.close();
  });
  afterAll(async () => {
    await connection.quit();
    await api.stop();
    await rm(root, { recursive: true, force: true });
  });

  async function newStream(name: string, windowSize = 4, windowStride = 2): Promise<StreamRef> {
    const row = await api.prisma.stream.create({
      data: {
        tenantId: tenant.tenantId,
        name: `${name}-${randomBytes(3).toString('hex')}`,
        sourceUrl: 'rtsp://camera.example.net/x',
        kind: 'RTSP',
        windowSize,
        windowStride,
      },
    });
    return { id: row.id, tenantId: row.tenantId, windowSize, windowStride };
  }

  it('stores kept frames with their sha256, counts skipped ones, and queues overlapping windows by id', async () => {
    const stream = await newStream('lawn');
    const recorder = await StreamRecorder.open(api.prisma, store, jobs, stream);
    expect(recorder.nextSequence).toBe(0);
    // kept: 0 1 2 4 5 7 8 9 ; skipped: 3 6
    for (let sequence = 0; sequence < 10; sequence += 1) {
      if (sequence === 3 || sequence === 6) recorder.skip();
      else await recorder.keep(await frameAt(sequence));
    }
    await recorder.flushCounters({ effectiveFps: 2 });

    const db = tenantDb(api.prisma, tenant.tenantId);
    const frames = await db.frame.findMany({ where: { streamId: stream.id }, orderBy: { sequence: 'asc' } });
    expect(frames.map((f) => [f.sequence, f.skippedBefore])).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
      [4, 1],
      [5, 0],
      [7, 1],
      [8, 0],
      [9, 0],
    ]);
    for (const frame of frames) {
      const bytes = await store.get(frame.storageKey);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(frame.sha256);
    }

    const windows = await db.window.findMany({ where: { streamId: stream.id }, orderBy: { index: 'asc' } });
    const seq = new Map(frames.map((f) => [f.id, f.sequence]));
    expect(windows.map((w) => w.frameIds.map((id) => seq.get(id)))).toEqual([
      [0, 1, 2, 4],
      [2, 4, 5, 7],
      [5, 7, 8, 9],
    ]);
    expect(windows.every((w) => w.status === 'QUEUED')).toBe(true);
    for (const window of windows) {
      const job = await queue.getJob(window.id);
      expect(job?.data).toEqual({ tenantId: tenant.tenantId, windowId: window.id });
    }

    const counters = await db.stream.findUniqueOrThrow({ where: { id: stream.id } });
    expect(counters).toMatchObject({
      framesSampled: 10,
      framesKept: 8,
      framesSkipped: 2,
      windowsQueued: 3,
      effectiveFps: 2,
    });
  });

  it('never puts frames across a gap or a restart in one window, the state reloaded from PostgreSQL included', async () => {
    const stream = await newStream('gap');
    const at = async (sequence: number, offsetMs: number): Promise<RecordableFrame> => ({
      ...(await frameAt(sequence)),
      capturedAt: new Date(Date.UTC(2026, 10, 21, 12, 0, 0, offsetMs)),
    });
    const options = { maxGapMs: 75_000 };
    const first = await StreamRecorder.open(api.prisma, store, jobs, stream, null, options);
    for (let sequence = 0; sequence < 7; sequence += 1) await first.keep(await at(sequence, sequence * 500));
    // 14 minutes without a frame, then the source comes back.
    const fourteenMinutes = 14 * 60_000;
    for (let sequence = 7; sequence < 10; sequence += 1) {
      await first.keep(await at(sequence, fourteenMinutes + sequence * 500));
    }
    // The worker dies; another takes the live stream over later: a restart is a break too.
    const second = await StreamRecorder.open(api.prisma, store, jobs, stream, null, options);
    await second.breakRun();
    for (let sequence = 10; sequence < 16; sequence += 1) {
      await second.keep(await at(sequence, fourteenMinutes + 20_000 + sequence * 500));
    }

    const db = tenantDb(api.prisma, tenant.tenantId);
    const frames = await db.frame.findMany({ where: { streamId: stream.id }, orderBy: { sequence: 'asc' } });
    const seq = new Map(frames.map((f) => [f.id, f.sequence]));
    const windows = await db.window.findMany({ where: { streamId: stream.id }, orderBy: { index: 'asc' } });
    expect(windows.map((w) => w.frameIds.map((id) => seq.get(id)))).toEqual([
      [0, 1, 2, 3],
      [2, 3, 4, 5],
      [3, 4, 5, 6], // frame 6 was in no window: analysed with the frames before the gap
      [7, 8, 9], // the three frames between the gap and the restart, queued when the stream was taken over
      [10, 11, 12, 13],
      [12, 13, 14, 15],
    ]);
    expect(frames.filter((f) => f.startsRun).map((f) => f.sequence)).toEqual([7, 10]);
    expect((await Promise.all(windows.map((w) => queue.getJob(w.id)))).every(Boolean)).toBe(true);
  });

  it('continues after a restart, and a replayed frame never makes a second row or window', async () => {
    const stream = await newStream('restart');
    const first = await StreamRecorder.open(api.prisma, store, jobs, stream);
    for (let sequence = 0; sequence < 5; sequence += 1) await first.keep(await frameAt(sequence));

    const second = await StreamRecorder.open(api.prisma, store, jobs, stream);
    expect(second.nextSequence).toBe(5);
    await second.keep(await frameAt(4)).catch(() => undefined); // a duplicate owner replays a frame
    for (let sequence = 5; sequence < 9; sequence += 1) await second.keep(await frameAt(sequence));

    // Same frames fed to a recorder that never stopped
    const reference = await newStream('reference');
    const whole = await StreamRecorder.open(api.prisma, store, jobs, reference);
    for (let sequence = 0; sequence < 9; sequence += 1) await whole.keep(await frameAt(sequence));

    const db = tenantDb(api.prisma, tenant.tenantId);
    const shape = async (streamId: string) => {
      const frames = await db.frame.findMany({ where: { streamId } });
      const seq = new Map(frames.map((f) => [f.id, f.sequence]));
      const windows = await db.window.findMany({ where: { streamId }, orderBy: { index: 'asc' } });
      return {
        frames: frames.length,
        windows: windows.map((w) => [w.index, w.frameIds.map((id) => seq.get(id))]),
      };
    };
    expect(await shape(stream.id)).toEqual(await shape(reference.id));
    expect((await shape(stream.id)).frames).toBe(9);
  });

  it('re-enqueues every waiting window after Redis lost its jobs, and nothing twice', async () => {
    const stream = await newStream('reconcile', 2, 1);
    const recorder = await StreamRecorder.open(api.prisma, store, jobs, stream);
    for (let sequence = 0; sequence < 6; sequence += 1) await recorder.keep(await frameAt(sequence));
    const db = tenantDb(api.prisma, tenant.tenantId);
    const waiting = await db.window.findMany({ where: { streamId: stream.id }, select: { id: true } });
    expect(waiting).toHaveLength(5);

    await queue.obliterate({ force: true }); // as if Redis had been flushed
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 0, prioritized: 0 });

    const report = await reconcileWindows(api.prisma, jobs);
    expect(report.requeued).toBeGreaterThanOrEqual(5);
    for (const { id } of waiting) expect(await queue.getJob(id)).toBeDefined();
    const again = await reconcileWindows(api.prisma, jobs);
    expect(again.requeued).toBe(0);
  });

  it('serves a tenant with a small backlog before one that floods the queue', async () => {
    expect(priorityForBacklog(0)).toBeLessThan(priorityForBacklog(1000));
    const flood = await newStream('flood', 1, 1);
    const floodRecorder = await StreamRecorder.open(api.prisma, store, jobs, flood);
    for (let sequence = 0; sequence < 30; sequence += 1) await floodRecorder.keep(await frameAt(sequence));

    const other = await createTenantFixture(api, 'recorder-quiet');
    const quietRow = await api.prisma.stream.create({
      data: {
        tenantId: other.tenantId,
        name: 'quiet',
        sourceUrl: 'rtsp://c.example.net/q',
        kind: 'RTSP',
        windowSize: 1,
        windowStride: 1,
      },
    });
    const quiet = await StreamRecorder.open(api.prisma, store, jobs, {
      id: quietRow.id,
      tenantId: other.tenantId,
      windowSize: 1,
      windowStride: 1,
    });
    await quiet.keep(await frameAt(0));

    const workerConnection = connection.duplicate();
    const worker = new Worker(queue.name, null, {
      connection: workerConnection,
      autorun: false,
      prefix: jobs.prefix,
    });
    try {
      const order: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const job = await worker.getNextJob('token');
        order.push(job!.data.tenantId as string);
      }
      // The quiet tenant's window (priority 2) comes right after the flood's first one (also 2),
      // not after all 30.
      expect(order.slice(0, 2)).toContain(other.tenantId);
    } finally {
      await worker.close();
      await workerConnection.quit();
    }
  }, 30_000);
});
