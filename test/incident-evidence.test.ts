import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { withIncidentEvidence } from '../src/evidence/incident-evidence-events';
import type { JobQueue } from '../src/jobs/job-queue';
import { createLogger } from '../src/logging/logger';
import { FrameUrlSigner } from '../src/storage/frame-url';
import { buildIncidentClipHandler } from '../src/workers/build-incident-clip.processor';
import { errorCodes, startTestApi, TestApi } from './support/api-harness';
import { seedIncidentWithFrames, type SeededIncident } from './support/incident-evidence';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';

/**
 * Incidents' evidence against the real API, real ffmpeg and PostgreSQL: the clip is a valid H.264
 * MP4 of every frame of the incident's windows once each, at their real pace; it streams with
 * Range requests by signed URL or credential; it is rebuilt once the incident has more firings; the
 * evidence package holds what its manifest says; and nothing reaches another tenant.
 */
const run = promisify(execFile);
const FRAMES = 20;
const FPS = 2;

interface Probe {
  streams: { codec_name: string; nb_read_frames: string; width: number; height: number; pix_fmt: string }[];
  format: { format_name: string; duration: string };
}

async function ffprobe(mp4: Buffer): Promise<Probe> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-probe-'));
  try {
    const file = path.join(dir, 'clip.mp4');
    await writeFile(file, mp4);
    const { stdout } = await run(process.env.FFPROBE_PATH ?? 'ffprobe', [
      '-v',
      'error',
      '-count_frames',
      '-show_entries',
      'stream=codec_name,nb_read_frames,width,height,pix_fmt:format=format_name,duration',
      '-of',
      'json',
      file,
    ]);
    return JSON.parse(stdout) as Probe;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const CLIP_QUERY = `query($id: ID!) { incident(incidentId: $id) { id clip { url urlExpiresAt sha256 bytes frames builtAt } } }`;
type ClipAnswer = {
  incident: {
    clip: {
      url: string;
      urlExpiresAt: string;
      sha256: string;
      bytes: number;
      frames: number;
      builtAt: string;
    } | null;
  };
};

describe('incident evidence: clips and packages', () => {
  let api: TestApi;
  let frameDir: string;
  let a: TenantFixture;
  let b: TenantFixture;
  let seeded: SeededIncident;

  beforeAll(async () => {
    frameDir = await mkdtemp(path.join(os.tmpdir(), 'vigil-evidence-store-'));
    api = await startTestApi({ FRAME_STORE_DIR: frameDir });
    [a, b] = await Promise.all([
      createTenantFixture(api, 'evidence-a'),
      createTenantFixture(api, 'evidence-b'),
    ]);
    seeded = await seedIncidentWithFrames({
      prisma: api.prisma,
      store: api.services.windows.store,
      tenantId: a.tenantId,
      streamId: a.ids.streamId,
      ruleId: a.ids.ruleId,
      templateVersionId: a.ids.versionId,
      frames: FRAMES,
      fps: FPS,
      windowSize: 8,
    });
  }, 120_000);

  afterAll(async () => {
    await api.stop();
    await rm(frameDir, { recursive: true, force: true });
  });

  const get = (route: string, headers: Record<string, string> = {}) =>
    fetch(`${api.url}${route}`, { headers });
  const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });
  const clipOf = async (credential: string, id = seeded.incidentId) => {
    const response = await api.gql<ClipAnswer>(CLIP_QUERY, { id }, credential);
    expect(response.errors).toBeUndefined();
    return response.data!.incident.clip;
  };

  it('builds a valid H.264 MP4 of every frame once, in capture order at its real pace, and records its sha256 in the audit chain', async () => {
    const clip = await clipOf(a.sessions.MODERATOR);
    expect(clip).toMatchObject({ frames: FRAMES, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(clip!.url).toMatch(
      new RegExp(`^/incidents/${seeded.incidentId}/clip\\.mp4\\?t=${a.tenantId}&e=\\d+&s=`),
    );

    // The signed URL works without a credential, as in a <video> element.
    const response = await get(clip!.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('video/mp4');
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    const mp4 = Buffer.from(await response.arrayBuffer());
    expect(mp4.length).toBe(clip!.bytes);
    expect(sha256(mp4)).toBe(clip!.sha256);

    const probe = await ffprobe(mp4);
    expect(probe.format.format_name).toContain('mp4');
    expect(probe.streams).toHaveLength(1);
    expect(probe.streams[0]).toMatchObject({
      codec_name: 'h264',
      width: 448,
      height: 256,
      pix_fmt: 'yuv420p',
    });
    // The windows overlap by half: 20 frames, not the 32 their frame lists name.
    expect(Number(probe.streams[0]!.nb_read_frames)).toBe(FRAMES);
    // Real pace: 19 intervals of 0.5 s, then the last frame's one tick.
    expect(Number(probe.format.duration)).toBeGreaterThan(9.4);
    expect(Number(probe.format.duration)).toBeLessThan(9.7);

    const stored = await tenantDb(api.prisma, a.tenantId).incident.findUniqueOrThrow({
      where: { id: seeded.incidentId },
    });
    expect(stored).toMatchObject({
      clipSha256: clip!.sha256,
      clipFrames: FRAMES,
      clipFirings: stored.firings,
    });
    const audit = await tenantDb(api.prisma, a.tenantId).auditEvent.findFirst({
      where: { entityId: seeded.incidentId, action: 'incident.clip_built' },
    });
    expect(audit?.data).toMatchObject({ sha256: clip!.sha256, frames: FRAMES });
  }, 60_000);

  it('a second request reuses the current clip instead of building again', async () => {
    const first = await clipOf(a.sessions.AUDITOR);
    const second = await clipOf(a.sessions.ADMIN);
    expect(second!.builtAt).toBe(first!.builtAt);
    expect(second!.sha256).toBe(first!.sha256);
  });

  it('answers Range requests as a browser seeking the clip sends them', async () => {
    const clip = (await clipOf(a.sessions.MODERATOR))!;
    const whole = Buffer.from(await (await get(clip.url)).arrayBuffer());

    const head = await get(clip.url, { range: 'bytes=0-99' });
    expect(head.status).toBe(206);
    expect(head.headers.get('content-range')).toBe(`bytes 0-99/${clip.bytes}`);
    expect(Buffer.from(await head.arrayBuffer())).toEqual(whole.subarray(0, 100));

    const rest = await get(clip.url, { range: 'bytes=100-' });
    expect(rest.status).toBe(206);
    expect(rest.headers.get('content-range')).toBe(`bytes 100-${clip.bytes - 1}/${clip.bytes}`);
    expect(Buffer.from(await rest.arrayBuffer())).toEqual(whole.subarray(100));

    const tail = await get(clip.url, { range: 'bytes=-50' });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(whole.subarray(whole.length - 50));

    const beyond = await get(clip.url, { range: `bytes=${clip.bytes + 10}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${clip.bytes}`);

    // A range of a clip that has since been rebuilt would mix two files: the whole new one instead.
    const changed = await get(clip.url, { range: 'bytes=0-99', 'if-range': '"an-older-clip"' });
    expect(changed.status).toBe(200);
    expect(Buffer.from(await changed.arrayBuffer()).length).toBe(clip.bytes);
    const matching = await get(clip.url, { range: 'bytes=0-99', 'if-range': `"${clip.sha256}"` });
    expect(matching.status).toBe(206);
  });

  it('serves the clip with a credential of any role, and refuses bad signatures, other tenants and bad ids', async () => {
    const route = `/incidents/${seeded.incidentId}/clip.mp4`;
    for (const credential of [a.sessions.MODERATOR, a.sessions.AUDITOR, a.apiKeys.ADMIN]) {
      const response = await get(route, { ...bearer(credential), range: 'bytes=0-9' });
      expect(response.status).toBe(206);
    }
    expect((await get(route)).status).toBe(401);

    // Another tenant's credential: the incident does not exist for it.
    const foreign = await get(route, bearer(b.sessions.ADMIN));
    expect(foreign.status).toBe(404);
    expect(
      ((await foreign.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
    ).toBe('NOT_FOUND');
    // Tenant B's own signature over tenant A's incident names tenant B: not found there either.
    const signer = api.services.windows.signer;
    expect((await get(signer.clipUrl(b.tenantId, seeded.incidentId))).status).toBe(404);

    const { url } = (await clipOf(a.sessions.MODERATOR))!;
    expect((await get(url.replace(/s=[^&]+/, 's=forged'))).status).toBe(401);
    expect((await get(url.replace(a.tenantId, b.tenantId))).status).toBe(401);
    const expired = signer.clipUrl(a.tenantId, seeded.incidentId, 60, Date.now() - 3_600_000);
    expect((await get(expired)).status).toBe(401);
    // A frame's signature does not open a clip.
    const frameUrl = new URL(signer.url(a.tenantId, seeded.incidentId), api.url);
    expect((await get(`${route}${frameUrl.search}`)).status).toBe(401);

    const bad = await get('/incidents/not-an-id/clip.mp4', bearer(a.sessions.MODERATOR));
    expect(bad.status).toBe(400);
    expect(
      ((await bad.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
    ).toBe('BAD_USER_INPUT');
    const unknown = await get(`/incidents/${b.ids.incidentId}/clip.mp4`, bearer(a.sessions.MODERATOR));
    expect(unknown.status).toBe(404);

    // GraphQL: another tenant's incident is NOT_FOUND, its clip never built.
    const response = await api.gql(CLIP_QUERY, { id: seeded.incidentId }, b.sessions.ADMIN);
    expect(errorCodes(response)).toEqual(['NOT_FOUND']);
  });

  it('an incident whose frames are all gone has no clip (null, 404)', async () => {
    // The fixture's incident fired on a window whose frames were never stored.
    expect(await clipOf(a.sessions.MODERATOR, a.ids.incidentId)).toBeNull();
    const response = await get(`/incidents/${a.ids.incidentId}/clip.mp4`, bearer(a.sessions.MODERATOR));
    expect(response.status).toBe(404);
  });

  it('rebuilds a stale clip once the incident has more firings', async () => {
    const before = (await clipOf(a.sessions.MODERATOR))!;
    const db = tenantDb(api.prisma, a.tenantId);
    // A late firing on a window with frames already in the clip plus two new ones.
    const last = seeded.capturedAt.at(-1)!;
    const newFrames = await Promise.all(
      [1, 2].map(async (step) => {
        const capturedAt = new Date(last.getTime() + step * 500);
        const jpeg = await api.services.windows.store.get(
          (await db.frame.findUniqueOrThrow({ where: { id: seeded.frameIds[step]! } })).storageKey,
        );
        const key = `${a.tenantId}/${a.ids.streamId}/${capturedAt.toISOString().slice(0, 10)}/${900_000_000 + step}.jpg`;
        await api.services.windows.store.put(key, jpeg);
        return db.frame.create({
          data: {
            tenantId: a.tenantId,
            streamId: a.ids.streamId,
            sequence: 900_000_000 + step,
            capturedAt,
            storageKey: key,
            sha256: sha256(jpeg),
            width: 448,
            height: 256,
            bytes: jpeg.length,
          },
        });
      }),
    );
    const window = await db.window.create({
      data: {
        tenantId: a.tenantId,
        streamId: a.ids.streamId,
        index: 1_999_999_999,
        frameIds: [...seeded.frameIds.slice(-2), ...newFrames.map((frame) => frame.id)],
        startAt: seeded.capturedAt.at(-2)!,
        endAt: newFrames[1]!.capturedAt,
        status: 'DONE',
      },
    });
    const analysis = await db.analysis.create({
      data: {
        tenantId: a.tenantId,
        streamId: a.ids.streamId,
        windowId: window.id,
        templateVersionId: a.ids.versionId,
        mode: 'LOCAL',
        status: 'DONE',
      },
    });
    await db.incidentFiring.create({
      data: {
        tenantId: a.tenantId,
        incidentId: seeded.incidentId,
        ruleId: a.ids.ruleId,
        analysisId: analysis.id,
        windowId: window.id,
        startAt: window.startAt,
        endAt: window.endAt,
      },
    });
    await db.incident.update({ where: { id: seeded.incidentId }, data: { firings: { increment: 1 } } });

    const after = (await clipOf(a.sessions.MODERATOR))!;
    expect(after.frames).toBe(FRAMES + 2);
    expect(new Date(after.builtAt).getTime()).toBeGreaterThan(new Date(before.builtAt).getTime());
    expect(after.sha256).not.toBe(before.sha256);
    const probe = await ffprobe(Buffer.from(await (await get(after.url)).arrayBuffer()));
    expect(Number(probe.streams[0]!.nb_read_frames)).toBe(FRAMES + 2);
  }, 60_000);

  it('the evidence package holds the clip, keyframes, report JSON and PDF, audit proof and a manifest whose hashes match', async () => {
    const response = await get(`/incidents/${seeded.incidentId}/evidence.zip`, bearer(a.sessions.AUDITOR));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="vigil-incident-${seeded.incidentId}-evidence.zip"`,
    );
    const files = unzipSync(new Uint8Array(await response.arrayBuffer()));
    const manifest = JSON.parse(Buffer.from(files['manifest.json']!).toString('utf8')) as {
      incidentId: string;
      files: { path: string; bytes: number; sha256: string }[];
      clip: { sha256: string; frames: number };
      reportContentSha256: string;
      auditChain: { ok: boolean; headHash: string };
    };
    expect(manifest.incidentId).toBe(seeded.incidentId);
    // Every file is in the manifest, and every manifest entry matches its file.
    expect(Object.keys(files).sort()).toEqual(
      [...manifest.files.map((file) => file.path), 'manifest.json'].sort(),
    );
    for (const entry of manifest.files) {
      expect(files[entry.path]!.length).toBe(entry.bytes);
      expect(sha256(files[entry.path]!)).toBe(entry.sha256);
    }
    const paths = manifest.files.map((file) => file.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'clip.mp4',
        'report.json',
        'report.pdf',
        'audit/events.json',
        'audit/chain.json',
        'VERIFY.md',
      ]),
    );
    // The seeded incident's four keyframes, as stored.
    const keyframes = paths.filter((file) => file.startsWith('keyframes/'));
    expect(keyframes).toHaveLength(4);
    const storedSha = (
      await tenantDb(api.prisma, a.tenantId).frame.findMany({
        where: { id: { in: seeded.frameIds.slice(0, 4) } },
      })
    ).map((frame) => frame.sha256);
    expect(keyframes.map((file) => sha256(files[file]!)).sort()).toEqual(storedSha.sort());

    expect(sha256(files['clip.mp4']!)).toBe(manifest.clip.sha256);
    expect(Buffer.from(files['report.pdf']!).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const report = JSON.parse(Buffer.from(files['report.json']!).toString('utf8')) as {
      contentSha256: string;
    };
    expect(report.contentSha256).toBe(manifest.reportContentSha256);

    // The clip's hash is anchored in the audit chain, and each event's proof checks out.
    const events = JSON.parse(Buffer.from(files['audit/events.json']!).toString('utf8')) as {
      action: string;
      hash: string;
      data: { sha256?: string };
      proof: { recomputedHash: string; hashMatches: boolean; canonicalEncoding: string };
    }[];
    const built = events.filter((event) => event.action === 'incident.clip_built');
    expect(built.at(-1)!.data.sha256).toBe(manifest.clip.sha256);
    for (const event of events) {
      expect(event.proof.hashMatches).toBe(true);
      expect(createHash('sha256').update(event.proof.canonicalEncoding, 'utf8').digest('hex')).toBe(
        event.hash,
      );
    }
    expect(manifest.auditChain.ok).toBe(true);
  }, 60_000);

  it('the evidence package is for auditors and admins of the incident’s tenant only', async () => {
    const route = `/incidents/${seeded.incidentId}/evidence.zip`;
    expect((await get(route, bearer(a.apiKeys.ADMIN))).status).toBe(200);
    expect((await get(route, bearer(a.sessions.MODERATOR))).status).toBe(403);
    expect((await get(route)).status).toBe(401);
    expect((await get(route, bearer(b.sessions.AUDITOR))).status).toBe(404);
    expect((await get('/incidents/123/evidence.zip', bearer(a.sessions.AUDITOR))).status).toBe(400);
    // A signed clip URL's query is no credential for the package.
    const { url } = (await clipOf(a.sessions.MODERATOR))!;
    expect((await get(`${route}${new URL(url, api.url).search}`)).status).toBe(401);
  }, 60_000);

  it('closing an incident queues its clip build, and partners get a signed link; the job builds the clip', async () => {
    const queued: unknown[] = [];
    const jobs: JobQueue = {
      add: async (kind, payload) => void queued.push({ kind, payload }),
      ensure: async () => true,
      restore: async () => true,
    };
    const sent: { event: string; payload: Record<string, unknown> }[] = [];
    const sink = withIncidentEvidence(
      async (_tenant, event, _key, payload) => {
        sent.push({ event, payload: payload as Record<string, unknown> });
        return 1;
      },
      { jobs, signer: new FrameUrlSigner('shared-secret'), publicUrl: 'https://vigil.example.com/' },
    );
    await sink(a.tenantId, 'incident.closed', 'k', { incidentId: seeded.incidentId, firings: 7 });
    await sink(a.tenantId, 'review.resolved', 'k2', { reviewItemId: 'x' });
    expect(queued).toEqual([
      {
        kind: 'buildIncidentClip',
        payload: { tenantId: a.tenantId, incidentId: seeded.incidentId, firings: 7 },
      },
    ]);
    const link = (sent[0]!.payload.clip as { url: string }).url;
    expect(link).toMatch(
      new RegExp(`^https://vigil\\.example\\.com/incidents/${seeded.incidentId}/clip\\.mp4\\?t=`),
    );
    expect(
      new FrameUrlSigner('shared-secret').verifyClip(
        seeded.incidentId,
        Object.fromEntries(new URL(link).searchParams),
      ),
    ).toMatchObject({ tenantId: a.tenantId });
    expect(sent[1]!.payload).toEqual({ reviewItemId: 'x' });

    // The worker's handler: a second seeded incident, no clip yet, built by the job.
    const other = await seedIncidentWithFrames({
      prisma: api.prisma,
      store: api.services.windows.store,
      tenantId: b.tenantId,
      streamId: b.ids.streamId,
      ruleId: b.ids.ruleId,
      templateVersionId: b.ids.versionId,
      frames: 6,
      windowSize: 6,
    });
    const handler = buildIncidentClipHandler(api.prisma, api.services.evidence.clips, createLogger('silent'));
    const outcome = await handler.run(
      { tenantId: b.tenantId, incidentId: other.incidentId, firings: 1 },
      { attemptsMade: 0, attempts: 3, backoffMs: 5000 },
    );
    expect(outcome).toMatchObject({ built: true, frames: 6 });
    // Run for the wrong tenant, the job finds nothing to build.
    expect(
      await handler.run(
        { tenantId: a.tenantId, incidentId: other.incidentId, firings: 1 },
        { attemptsMade: 0, attempts: 3, backoffMs: 5000 },
      ),
    ).toEqual({ built: false });
  }, 60_000);
});
