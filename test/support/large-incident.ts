import { createHash, randomUUID } from 'node:crypto';
import sharp from 'sharp';
import type { PrismaClient } from '../../src/db/prisma-client';
import type { Prisma } from '../../src/generated/prisma/client';
import { frameKey } from '../../src/storage/frame-store';

/**
 * An incident as a long event leaves it: `windows` windows, each analysed by the local analyser and
 * each a firing of the rule, written straight to the database (the rules runner would take minutes
 * to get there). The windows reuse a handful of stored frames, as overlapping windows share theirs.
 */
export interface LargeIncidentInput {
  prisma: PrismaClient;
  putFrame: (key: string, jpeg: Buffer) => Promise<unknown>;
  tenantId: string;
  streamId: string;
  versionId: string;
  ruleId: string;
  windows: number;
  /** Frames per window, cycled from `storedFrames` distinct stored frames. */
  framesPerWindow?: number;
  storedFrames?: number;
  /** Window index of the first window (the stream's windows are unique by index). */
  firstIndex?: number;
}

export interface LargeIncident {
  incidentId: string;
  analysisIds: string[];
  frameIds: string[];
}

/** A local result of the size the scene analyser writes: findings, events, tracks and a trace. */
function localResult(at: Date, index: number): Prisma.InputJsonObject {
  const time = at.toISOString();
  return {
    timestamp: time,
    objects: [{ label: 'person', count: 2, confidence: 0.81, frames: [0, 1, 2, 3, 4, 5, 6, 7] }],
    actions: [{ actor: 'person #7', action: 'walking', target: 'walkway', start: time, end: time }],
    anomalies: [
      {
        type: 'dwell',
        severity: 'medium',
        description: `person #7 stayed ${40 + (index % 20)} s on "walkway"`,
        evidence: [time],
      },
    ],
    causalChain: [
      { cause: 'person #7 entered "walkway"', effect: 'person #7 stayed on "walkway"', at: time },
    ],
    rootCause: 'person #7 entered "walkway" -> person #7 stayed on "walkway"',
    verdict: 'review',
    confidence: 0.78,
    events: [
      {
        id: `dwell-7-${index}`,
        type: 'dwell',
        label: 'person',
        trackIds: [7],
        zone: 'walkway',
        start: time,
        end: time,
        seconds: 40 + (index % 20),
        severity: 'medium',
        evidence: [time],
      },
    ],
    tracks: [
      {
        id: 7,
        label: 'person',
        firstSeen: time,
        lastSeen: time,
        zones: ['walkway'],
        maxSpeed: 0.4,
        dwellSeconds: { walkway: 40 + (index % 20) },
      },
    ],
    trace: [
      "Observed 8 frames; 4 were new to this stream's scene, the object detector looked at 3 of them.",
      'Watched zones "lawn" and lines "walkway" (scene version 1).',
      `Track person #7: top speed 0.4 body heights a second, ${40 + (index % 20)} s in "walkway".`,
      'Event: person #7 stayed on "walkway"; severity medium.',
      'Conclusion: 1 anomaly, verdict review (a high or critical one makes a violation, any other a review).',
    ],
    sceneVersion: 1,
  };
}

export async function createLargeIncident(input: LargeIncidentInput): Promise<LargeIncident> {
  const { prisma, tenantId, streamId, windows } = input;
  const perWindow = input.framesPerWindow ?? 8;
  const stored = input.storedFrames ?? 8;
  const firstIndex = input.firstIndex ?? 10_000;
  const start = new Date(Date.now() - windows * 2000 - 60_000);

  const frameIds: string[] = [];
  for (let i = 0; i < stored; i++) {
    const jpeg = await sharp({
      create: { width: 448, height: 256, channels: 3, background: { r: 30 + i * 25, g: 140, b: 90 } },
    })
      .jpeg()
      .toBuffer();
    const capturedAt = new Date(start.getTime() + i * 250);
    const key = frameKey(tenantId, streamId, capturedAt, firstIndex * 10 + i);
    await input.putFrame(key, jpeg);
    const frame = await prisma.frame.create({
      data: {
        tenantId,
        streamId,
        sequence: firstIndex * 10 + i,
        capturedAt,
        storageKey: key,
        sha256: createHash('sha256').update(jpeg).digest('hex'),
        width: 448,
        height: 256,
        bytes: jpeg.length,
      },
    });
    frameIds.push(frame.id);
  }

  const rows = Array.from({ length: windows }, (_, i) => {
    const startAt = new Date(start.getTime() + i * 2000);
    const endAt = new Date(startAt.getTime() + 1750);
    return {
      windowId: randomUUID(),
      analysisId: randomUUID(),
      index: firstIndex + i,
      startAt,
      endAt,
      frameIds: Array.from({ length: perWindow }, (_, f) => frameIds[(i + f) % stored]!),
    };
  });
  const incidentId = randomUUID();
  const last = rows.at(-1)!;
  await prisma.incident.create({
    data: {
      id: incidentId,
      tenantId,
      streamId,
      ruleId: input.ruleId,
      startAt: rows[0]!.startAt,
      endAt: last.endAt,
      lastFiredAt: last.endAt,
      keyframeIds: frameIds.slice(0, 12),
      firings: windows,
      severity: 'medium',
      confidence: 0.78,
      summary: `Loitering on the walkway (${windows} windows)`,
    },
  });
  for (let offset = 0; offset < rows.length; offset += 500) {
    const chunk = rows.slice(offset, offset + 500);
    await prisma.window.createMany({
      data: chunk.map((row) => ({
        id: row.windowId,
        tenantId,
        streamId,
        index: row.index,
        frameIds: row.frameIds,
        startAt: row.startAt,
        endAt: row.endAt,
        status: 'DONE' as const,
      })),
    });
    await prisma.analysis.createMany({
      data: chunk.map((row, i) => ({
        id: row.analysisId,
        tenantId,
        streamId,
        windowId: row.windowId,
        templateVersionId: input.versionId,
        mode: 'LOCAL' as const,
        status: 'DONE' as const,
        model: 'local:centernet+nsfwjs+tracker',
        result: localResult(row.endAt, offset + i),
        latencyMs: 40,
        attempts: 1,
        startedAt: row.endAt,
        completedAt: row.endAt,
      })),
    });
    await prisma.incidentFiring.createMany({
      data: chunk.map((row) => ({
        tenantId,
        incidentId,
        ruleId: input.ruleId,
        analysisId: row.analysisId,
        windowId: row.windowId,
        startAt: row.startAt,
        endAt: row.endAt,
        severity: 'medium',
        confidence: 0.78,
      })),
    });
  }
  return { incidentId, analysisIds: rows.map((row) => row.analysisId), frameIds };
}
