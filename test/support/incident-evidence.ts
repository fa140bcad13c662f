import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PrismaClient } from '../../src/db/prisma-client';
import { tenantDb } from '../../src/db/tenant-scoped-db';
import { frameKey, type FrameStore } from '../../src/storage/frame-store';
import { ffmpeg } from './media-fixtures';

/**
 * An incident as the workers leave it, with real frames: `frames` JPEGs of ffmpeg's testsrc (its
 * frame counter makes every frame different) captured at `fps`, stored in the frame store with
 * their Frame rows, cut into windows of `windowSize` frames that overlap by half (so frames are
 * shared between windows, as with a stride), each window analysed and fired into one incident.
 */
export interface SeededIncident {
  incidentId: string;
  frameIds: string[];
  capturedAt: Date[];
  windowIds: string[];
}

export interface SeedIncidentOptions {
  prisma: PrismaClient;
  store: FrameStore;
  tenantId: string;
  streamId: string;
  ruleId: string;
  templateVersionId: string;
  frames: number;
  fps?: number;
  width?: number;
  height?: number;
  windowSize?: number;
  /** The first frame's capture time (default: `frames / fps` seconds ago). */
  start?: Date;
}

/** JPEGs of testsrc, in order. */
export async function testsrcJpegs(count: number, width: number, height: number): Promise<Buffer[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-evidence-frames-'));
  try {
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      `testsrc=size=${width}x${height}:rate=10`,
      '-frames:v',
      String(count),
      '-q:v',
      '4',
      path.join(dir, 'f%06d.jpg'),
    ]);
    const names = (await readdir(dir)).sort();
    return Promise.all(names.map((name) => readFile(path.join(dir, name))));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function seedIncidentWithFrames(options: SeedIncidentOptions): Promise<SeededIncident> {
  const fps = options.fps ?? 2;
  const windowSize = options.windowSize ?? 8;
  const stride = Math.max(1, windowSize / 2);
  const db = tenantDb(options.prisma, options.tenantId);
  const start = options.start ?? new Date(Date.now() - (options.frames / fps) * 1000 - 60_000);
  const jpegs = await testsrcJpegs(options.frames, options.width ?? 448, options.height ?? 256);
  const sequenceBase = Math.floor(Math.random() * 1e9);
  const rows = jpegs.map((jpeg, index) => {
    const capturedAt = new Date(start.getTime() + Math.round((index * 1000) / fps));
    const sequence = sequenceBase + index;
    return {
      tenantId: options.tenantId,
      streamId: options.streamId,
      sequence,
      capturedAt,
      storageKey: frameKey(options.tenantId, options.streamId, capturedAt, sequence),
      sha256: createHash('sha256').update(jpeg).digest('hex'),
      width: options.width ?? 448,
      height: options.height ?? 256,
      bytes: jpeg.length,
    };
  });
  for (let index = 0; index < rows.length; index += 32) {
    await Promise.all(
      rows
        .slice(index, index + 32)
        .map((row, offset) => options.store.put(row.storageKey, jpegs[index + offset]!)),
    );
  }
  const frames = await db.frame.createManyAndReturn({ data: rows, select: { id: true, capturedAt: true } });
  frames.sort((a, b) => a.capturedAt.getTime() - b.capturedAt.getTime());

  const windowIds: string[] = [];
  let incidentId: string | null = null;
  let windowIndex = 0;
  for (let first = 0; first < frames.length; first += stride) {
    const slice = frames.slice(first, first + windowSize);
    if (slice.length === 0) break;
    const window = await db.window.create({
      data: {
        tenantId: options.tenantId,
        streamId: options.streamId,
        index: sequenceBase + windowIndex++,
        frameIds: slice.map((frame) => frame.id),
        startAt: slice[0]!.capturedAt,
        endAt: slice.at(-1)!.capturedAt,
        status: 'DONE',
      },
    });
    windowIds.push(window.id);
    const analysis = await db.analysis.create({
      data: {
        tenantId: options.tenantId,
        streamId: options.streamId,
        windowId: window.id,
        templateVersionId: options.templateVersionId,
        mode: 'LOCAL',
        status: 'DONE',
        result: { verdict: 'violation', objects: [], actions: [], anomalies: [] },
        completedAt: new Date(),
      },
    });
    if (!incidentId) {
      const incident = await db.incident.create({
        data: {
          tenantId: options.tenantId,
          streamId: options.streamId,
          ruleId: options.ruleId,
          startAt: window.startAt,
          endAt: window.endAt,
          lastFiredAt: window.endAt,
          keyframeIds: slice.slice(0, 4).map((frame) => frame.id),
          firings: 0,
          summary: 'Person on the lawn',
        },
      });
      incidentId = incident.id;
    }
    await db.incidentFiring.create({
      data: {
        tenantId: options.tenantId,
        incidentId,
        ruleId: options.ruleId,
        analysisId: analysis.id,
        windowId: window.id,
        startAt: window.startAt,
        endAt: window.endAt,
      },
    });
    if (first + windowSize >= frames.length) break;
  }
  await db.incident.update({
    where: { id: incidentId! },
    data: {
      firings: windowIds.length,
      endAt: frames.at(-1)!.capturedAt,
      lastFiredAt: frames.at(-1)!.capturedAt,
      status: 'CLOSED',
      closedAt: new Date(),
      closeReason: 'quiet',
    },
  });
  return {
    incidentId: incidentId!,
    frameIds: frames.map((frame) => frame.id),
    capturedAt: frames.map((frame) => frame.capturedAt),
    windowIds,
  };
}
