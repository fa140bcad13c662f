import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config/config';
import { tenantDb } from '../src/db/tenant-scoped-db';
import type { Stream } from '../src/generated/prisma/client';
import { startStreamRunner, StreamRunnerDeps } from '../src/ingest/stream-runner';
import {
  Sampler,
  SamplerOptions,
  SamplerOutcome,
  SamplerSource,
  startSampler,
} from '../src/media/ffmpeg-sampler';
import {
  ResolvedAddress,
  SourceAddressPolicy,
  sourceAddressPolicy,
} from '../src/media/source-address-policy';
import { SourceEgress } from '../src/media/source-egress';
import { startSourceProxy } from '../src/media/source-proxy';
import { LocalFrameStore } from '../src/storage/frame-store';
import { startTestApi, TestApi } from './support/api-harness';
import {
  CAMERA_SDP,
  RtspAnswer,
  masterPlaylist,
  mediaPlaylist,
  RecordingServer,
  selfSignedCertificate,
  startRecordingServer,
  startInterleavedRtspCamera,
  startScriptedRtspServer,
} from './support/egress-servers';
import { ffmpegPath, mediaFixtures, MediaFixtures, removeMediaFixtures } from './support/media-fixtures';
import { startRtspServer, RtspServer, unusedPort, waitFor } from './support/media-sources';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';
import { testJobQueue } from './support/test-jobs';
import { createRedis } from '../src/redis/redis-client';
import type { BullJobQueue } from '../src/jobs/bullmq-job-queue';
import type Redis from 'ioredis';

/**
 * Every connection a stream source's ffmpeg makes passes the address policy, not only the URL the
 * tenant typed: real ffmpeg, real HTTP(S) servers on 127.0.0.1. One server plays a public host
 * (the policy's test seam calls its port public, the only thing that differs from production) and
 * serves playlists that point at a second server, which plays an internal service: loopback, which
 * the stream source rules refuse. The internal server must never see a connection, and the tenant
 * must read "address not allowed". Failures on addresses that are not public (a closed port, Redis,
 * an internal web service) must all read the same "source unreachable".
 */

jest.setTimeout(60_000);

const SECRET = 'pw-9f3kq';
const LOCAL = '127.0.0.1';

let fixtures: MediaFixtures;
let publicHttp: RecordingServer;
let publicHttps: RecordingServer;
let internal: RecordingServer;
let internalHttps: RecordingServer;
let certificate: { key: Buffer; cert: Buffer };
const started: Sampler[] = [];

/** The production policy, except that 127.0.0.1 on the given ports counts as a public host. */
function treatingAsPublic(
  ports: number[],
  base: SourceAddressPolicy = sourceAddressPolicy(false),
): SourceAddressPolicy {
  const seamed = (address: string, port: number) =>
    (address === LOCAL || address === '::1') && ports.includes(port);
  return {
    refused: (address, port) => (seamed(address, port) ? null : base.refused(address, port)),
    isPublic: (address, port) => seamed(address, port) || base.isPublic(address, port),
  };
}

const redisPort = () => Number(new URL(process.env.REDIS_URL!).port || 6379);

beforeAll(async () => {
  fixtures = await mediaFixtures();
  const tls = await selfSignedCertificate();
  certificate = tls;
  [publicHttp, publicHttps, internal, internalHttps] = await Promise.all([
    startRecordingServer(fixtures.dir),
    startRecordingServer(fixtures.dir, tls),
    startRecordingServer(fixtures.dir),
    startRecordingServer(fixtures.dir, tls),
  ]);
  const segments = (origin: string) => [0, 1, 2].map((i) => `${origin}/hls/segment-00${i}.ts`);
  const internalPlaylist = `${internal.origin}/hls/index.m3u8`;
  publicHttp.route('/variant.m3u8', { status: 200, body: masterPlaylist(internalPlaylist) });
  publicHttp.route('/second-host.m3u8', {
    status: 200,
    body: masterPlaylist(`http://localhost:${internal.port}/hls/index.m3u8`),
  });
  publicHttp.route('/redirect.m3u8', { redirect: internalPlaylist });
  publicHttp.route('/segments.m3u8', { status: 200, body: mediaPlaylist(segments(internal.origin)) });
  publicHttp.route('/key.m3u8', {
    status: 200,
    body: mediaPlaylist(
      segments(publicHttp.origin),
      `#EXT-X-KEY:METHOD=AES-128,URI="${internal.origin}/key.bin"`,
    ),
  });
  publicHttp.route('/https-variant.m3u8', {
    status: 200,
    body: masterPlaylist(`${internalHttps.origin}/hls/index.m3u8`),
  });
  publicHttps.route('/variant.m3u8', { status: 200, body: masterPlaylist(internalPlaylist) });
  publicHttp.route('/missing.mp4', { status: 404, body: 'no such clip' });
  internal.route('/key.bin', { status: 200, body: Buffer.alloc(16, 7) });
  internal.route('/missing.mp4', { status: 404, body: 'no such clip' });
  internal.route('/status.html', { status: 200, body: '<html><body>internal status page</body></html>' });
}, 60_000);

afterEach(async () => {
  await Promise.all(started.splice(0).map((sampler) => sampler.stop()));
});

afterAll(async () => {
  await Promise.all([publicHttp?.close(), publicHttps?.close(), internal?.close(), internalHttps?.close()]);
  await removeMediaFixtures();
});

function sample(source: SamplerSource, options: Partial<SamplerOptions> = {}): Sampler {
  const sampler = startSampler({
    ffmpegPath: ffmpegPath(),
    source,
    fps: 2,
    addressPolicy: treatingAsPublic([publicHttp.port, publicHttps.port]),
    ...options,
  });
  started.push(sampler);
  return sampler;
}

async function outcomeOf(sampler: Sampler): Promise<SamplerOutcome & { frames: number }> {
  for await (const frame of sampler) void frame;
  return sampler.outcome;
}

const failure = (outcome: SamplerOutcome) =>
  outcome.kind === 'failed'
    ? { kind: outcome.error.kind, tenantMessage: outcome.error.tenantMessage, detail: outcome.error.message }
    : { kind: outcome.kind };

describe('the public test host is read through the proxy', () => {
  it('HLS over http and over https (CONNECT): every frame, and the public server saw the requests', async () => {
    for (const server of [publicHttp, publicHttps]) {
      server.requests.length = 0;
      const outcome = await outcomeOf(sample({ url: `${server.origin}/hls/index.m3u8`, kind: 'HLS' }));
      expect(outcome.kind).toBe('ended');
      expect(outcome.frames).toBeGreaterThanOrEqual(19);
      expect(server.requests).toEqual(expect.arrayContaining(['/hls/index.m3u8', '/hls/segment-000.ts']));
    }
  });
});

describe('connections the source chooses are judged too', () => {
  it.each([
    ['a variant playlist', '/variant.m3u8'],
    ['a playlist on a second host (a name)', '/second-host.m3u8'],
    ['a redirect', '/redirect.m3u8'],
    ['media segments', '/segments.m3u8'],
    ['an AES-128 key URI', '/key.m3u8'],
  ])('%s on an internal address: refused, never reached, "address not allowed"', async (_name, route) => {
    internal.requests.length = 0;
    const before = internal.connections;
    const outcome = await outcomeOf(sample({ url: `${publicHttp.origin}${route}`, kind: 'HLS' }));
    expect(failure(outcome)).toEqual({
      kind: 'invalid-source',
      tenantMessage: 'address not allowed',
      detail: expect.stringMatching(new RegExp(`:${internal.port} .*refused: a loopback address`)),
    });
    expect(internal.requests).toEqual([]);
    expect(internal.connections).toBe(before);
  });

  it('an https variant on an internal address: the CONNECT is refused, no TLS connection reaches it', async () => {
    const before = internalHttps.connections;
    const outcome = await outcomeOf(sample({ url: `${publicHttp.origin}/https-variant.m3u8`, kind: 'HLS' }));
    expect(failure(outcome)).toMatchObject({ kind: 'invalid-source', tenantMessage: 'address not allowed' });
    expect(internalHttps.connections).toBe(before);
  });

  it('an https source whose playlist points at an internal address', async () => {
    internal.requests.length = 0;
    const outcome = await outcomeOf(sample({ url: `${publicHttps.origin}/variant.m3u8`, kind: 'HLS' }));
    expect(failure(outcome)).toMatchObject({ kind: 'invalid-source', tenantMessage: 'address not allowed' });
    expect(internal.requests).toEqual([]);
  });

  it('an internal address as the source itself never starts ffmpeg', async () => {
    const sampler = sample({ url: `${internal.origin}/hls/index.m3u8`, kind: 'HLS' });
    expect(failure(await outcomeOf(sampler))).toMatchObject({ tenantMessage: 'address not allowed' });
    expect(sampler.pid).toBeUndefined();
  });
});

describe('RTSP goes through a relay that connects to the checked address only', () => {
  const redirectingTo = (location: string) => (method: string) =>
    method === 'DESCRIBE' ? { status: '302 Moved Temporarily', headers: { Location: location } } : undefined;

  it('video interleaved on the RTSP connection (the default, TCP) passes through the relay', async () => {
    const camera = await startInterleavedRtspCamera(fixtures.testsrc);
    try {
      const sampler = sample(
        { url: `rtsp://${LOCAL}:${camera.port}/cam`, kind: 'RTSP' },
        { addressPolicy: treatingAsPublic([camera.port]) },
      );
      const frames = [];
      for await (const frame of sampler) {
        frames.push(frame);
        if (frames.length >= 4) break;
      }
      expect(frames.map((f) => [f.width, f.height])).toEqual([0, 1, 2, 3].map(() => [448, 224]));
    } finally {
      await camera.close();
    }
  });

  it('a redirect to an internal address is refused and never reached: "address not allowed"', async () => {
    const before = internal.connections;
    const camera = await startScriptedRtspServer(redirectingTo(`rtsp://${LOCAL}:${internal.port}/cam`));
    try {
      const outcome = await outcomeOf(
        sample(
          { url: `rtsp://viewer:${SECRET}@${LOCAL}:${camera.port}/cam`, kind: 'RTSP' },
          { addressPolicy: treatingAsPublic([camera.port]) },
        ),
      );
      expect(failure(outcome)).toMatchObject({
        kind: 'invalid-source',
        tenantMessage: 'address not allowed',
      });
      expect(camera.requests.map((line) => line.split(' ')[0])).toEqual(['OPTIONS', 'DESCRIBE']);
      expect(internal.connections).toBe(before);
    } finally {
      await camera.close();
    }
  });

  it('a redirect to an allowed host is not followed either: "source unreachable", the detail for the operator', async () => {
    const elsewhere = await startScriptedRtspServer(() => undefined);
    const camera = await startScriptedRtspServer(redirectingTo(`rtsp://${LOCAL}:${elsewhere.port}/cam`));
    try {
      const outcome = await outcomeOf(
        sample(
          { url: `rtsp://${LOCAL}:${camera.port}/cam`, kind: 'RTSP' },
          { addressPolicy: treatingAsPublic([camera.port, elsewhere.port]) },
        ),
      );
      expect(failure(outcome)).toEqual({
        kind: 'unknown',
        tenantMessage: 'source unreachable',
        detail: expect.stringContaining(`redirected to ${LOCAL}:${elsewhere.port}`),
      });
      expect(elsewhere.connections).toBe(0);
    } finally {
      await Promise.all([camera.close(), elsewhere.close()]);
    }
  });

  it('rtsps: TLS to the camera with its name for SNI, and its redirect refused', async () => {
    const camera = await startScriptedRtspServer(redirectingTo(`rtsp://${LOCAL}:${internal.port}/cam`), {
      tls: certificate,
    });
    const before = internal.connections;
    try {
      const outcome = await outcomeOf(
        sample(
          { url: `rtsps://localhost:${camera.port}/cam`, kind: 'RTSP' },
          { addressPolicy: treatingAsPublic([camera.port]) },
        ),
      );
      expect(failure(outcome)).toMatchObject({ tenantMessage: 'address not allowed' });
      expect(camera.serverNames).toContain('localhost');
      expect(camera.requests.map((line) => line.split(' ')[0])).toEqual(['OPTIONS', 'DESCRIBE']);
      expect(internal.connections).toBe(before);
    } finally {
      await camera.close();
    }
  });

  it('over UDP, packets go to the checked address, not to the source the server names', async () => {
    const port = 20_000 + 2 * Math.floor(Math.random() * 10_000);
    const listen = (address: string) =>
      new Promise<{ packets: number; close: () => void }>((resolve, reject) => {
        const socket = dgram.createSocket('udp4');
        const state = { packets: 0, close: () => socket.close() };
        socket.on('message', () => (state.packets += 1));
        socket.once('error', reject);
        socket.bind(port, address, () => resolve(state));
      });
    const [checked, named] = await Promise.all([listen(LOCAL), listen('127.0.0.2')]);
    const camera = await startScriptedRtspServer((method, headers): RtspAnswer | undefined => {
      if (method === 'DESCRIBE') {
        return {
          status: '200 OK',
          headers: { 'Content-Type': 'application/sdp', 'Content-Base': `rtsp://${LOCAL}/cam/` },
          body: CAMERA_SDP,
        };
      }
      if (method === 'SETUP') {
        const transport = `${headers.transport};server_port=${port}-${port + 1};source=127.0.0.2`;
        return { status: '200 OK', headers: { Transport: transport, Session: '4242' } };
      }
      return method === 'PLAY' ? { status: '200 OK', headers: { Session: '4242' } } : undefined;
    });
    try {
      const sampler = sample(
        { url: `rtsp://${LOCAL}:${camera.port}/cam`, kind: 'RTSP' },
        { addressPolicy: treatingAsPublic([camera.port]), rtspTransport: 'udp' },
      );
      await waitFor(() => checked.packets > 0, 10_000);
      await sampler.stop();
      expect(named.packets).toBe(0);
    } finally {
      checked.close();
      named.close();
      await camera.close();
    }
  });
});

describe('what a tenant learns from a failure', () => {
  // Loopback allowed, as private networks are in production: reachable, but not public.
  const internalAllowed = () => treatingAsPublic([publicHttp.port], sourceAddressPolicy(true));

  it('a closed port, Redis and an internal web service all read "source unreachable" (HTTP and RTSP)', async () => {
    const closed = await unusedPort();
    const sources: SamplerSource[] = [
      { url: `http://${LOCAL}:${closed}/live.ts`, kind: 'HTTP' },
      { url: `http://${LOCAL}:${redisPort()}/live.ts`, kind: 'HTTP' },
      { url: `${internal.origin}/missing.mp4`, kind: 'HTTP' },
      { url: `${internal.origin}/status.html`, kind: 'HTTP' },
      { url: `rtsp://${LOCAL}:${closed}/cam`, kind: 'RTSP' },
      { url: `rtsp://${LOCAL}:${redisPort()}/cam`, kind: 'RTSP' },
      { url: `rtsp://${LOCAL}:${internal.port}/cam`, kind: 'RTSP' },
    ];
    const seen: Array<{ kind: string; tenantMessage?: string }> = [];
    for (const source of sources) {
      const outcome = await outcomeOf(
        sample(source, { addressPolicy: internalAllowed(), startTimeoutMs: 4_000, networkTimeoutMs: 3_000 }),
      );
      seen.push(failure(outcome));
    }
    // The detail differs (for the operator's log); the tenant's text does not.
    expect(new Set(seen.map((s) => s.kind)).size).toBeGreaterThan(1);
    expect(seen.map((s) => s.tenantMessage)).toEqual(sources.map(() => 'source unreachable'));
  });

  it('a public source may say what it answered', async () => {
    const outcome = await outcomeOf(
      sample({ url: `${publicHttp.origin}/missing.mp4`, kind: 'HTTP' }, { addressPolicy: internalAllowed() }),
    );
    expect(failure(outcome)).toMatchObject({
      kind: 'not-found',
      tenantMessage: 'source unreachable (HTTP 404)',
    });
  });
});

describe('the proxy', () => {
  /** A GET through the proxy, as ffmpeg sends it (absolute-form target). */
  function viaProxy(proxyUrl: string, target: string): Promise<number> {
    const proxy = new URL(proxyUrl);
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: proxy.hostname,
        port: proxy.port,
        path: target,
        headers: { host: new URL(target).host },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('resolves the name once per connection and connects to the address it checked (a name the system cannot resolve)', async () => {
    const lookups: string[] = [];
    // A rebinding resolver: public the first time, internal afterwards.
    const resolve = async (host: string): Promise<ResolvedAddress[]> => {
      lookups.push(host);
      return [{ address: lookups.length === 1 ? LOCAL : '127.0.0.2', family: 4 }];
    };
    const egress = new SourceEgress(treatingAsPublic([publicHttp.port]), 3_000, resolve);
    const proxy = await startSourceProxy(egress);
    try {
      publicHttp.requests.length = 0;
      expect(await viaProxy(proxy.url, `http://camera.example:${publicHttp.port}/hls/index.m3u8`)).toBe(200);
      expect(publicHttp.requests).toEqual(['/hls/index.m3u8']);
      // The second connection gets the rebinding answer, which the policy refuses.
      expect(await viaProxy(proxy.url, `http://camera.example:${publicHttp.port}/hls/index.m3u8`)).toBe(403);
      expect(lookups).toEqual(['camera.example', 'camera.example']);
      expect(egress.report()).toMatchObject({
        refusals: 1,
        firstRefusal: { host: 'camera.example', refused: 'loopback' },
      });
    } finally {
      proxy.close();
    }
  });

  it('refuses a name that resolves to a public and an internal address', async () => {
    const egress = new SourceEgress(treatingAsPublic([publicHttp.port]), 3_000, async () => [
      { address: LOCAL, family: 4 },
      { address: '10.0.0.1', family: 4 },
      { address: '169.254.169.254', family: 4 },
    ]);
    const proxy = await startSourceProxy(egress);
    try {
      publicHttp.requests.length = 0;
      expect(await viaProxy(proxy.url, `http://mixed.example:${publicHttp.port}/hls/index.m3u8`)).toBe(403);
      expect(publicHttp.requests).toEqual([]);
    } finally {
      proxy.close();
    }
  });
});

describe('the stream runner shows only the tenant message', () => {
  let api: TestApi;
  let tenant: TenantFixture;
  let connection: Redis;
  let jobs: BullJobQueue;
  let root: string;
  let rtsp: RtspServer | undefined;
  const logLines: string[] = [];

  beforeAll(async () => {
    api = await startTestApi();
    tenant = await createTenantFixture(api, 'egress');
    connection = createRedis(api.config.REDIS_URL, { forWorkers: true });
    jobs = testJobQueue(connection);
    root = await mkdtemp(path.join(tmpdir(), 'vigil-egress-'));
  }, 120_000);

  afterAll(async () => {
    await rtsp?.close();
    await jobs.close();
    await connection.quit();
    await api.stop();
    await rm(root, { recursive: true, force: true });
  });

  function deps(allowLoopback: boolean): StreamRunnerDeps {
    return {
      prisma: api.prisma,
      store: new LocalFrameStore(root),
      jobs,
      config: loadConfig({
        ...process.env,
        ALLOW_FILE_SOURCES: String(allowLoopback),
        FILE_SOURCE_ROOT: fixtures.dir,
        SOURCE_SILENCE_TIMEOUT_MS: '4000',
      }),
      logger: pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) }),
      backoff: () => 60_000,
      sourceAddressPolicy: treatingAsPublic([publicHttp.port], sourceAddressPolicy(allowLoopback)),
    };
  }

  async function lastErrorOf(
    sourceUrl: string,
    kind: Stream['kind'],
    allowLoopback: boolean,
  ): Promise<string> {
    const db = tenantDb(api.prisma, tenant.tenantId);
    const stream = await db.stream.create({
      data: {
        tenantId: tenant.tenantId,
        name: `egress-${randomBytes(4).toString('hex')}`,
        sourceUrl,
        kind,
        status: 'ACTIVE',
        fps: 2,
      },
    });
    const runner = startStreamRunner(deps(allowLoopback), stream);
    try {
      await waitFor(
        async () => (await db.stream.findUniqueOrThrow({ where: { id: stream.id } })).status === 'ERROR',
        30_000,
      );
    } finally {
      await runner.stop();
    }
    // What every role of the tenant reads, the auditor included.
    const read = await api.gql<{ stream: { lastError: string | null } }>(
      'query ($id: ID!) { stream(streamId: $id) { lastError } }',
      { id: stream.id },
      tenant.sessions.AUDITOR,
    );
    return read.data!.stream.lastError!;
  }

  it('a variant playlist on an internal address: "address not allowed", the detail in the operator log', async () => {
    internal.requests.length = 0;
    logLines.length = 0;
    expect(await lastErrorOf(`${publicHttp.origin}/variant.m3u8`, 'HLS', false)).toBe('address not allowed');
    expect(internal.requests).toEqual([]);
    const warning = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).find((l) => l.kind);
    expect(warning).toMatchObject({
      kind: 'invalid-source',
      reason: expect.stringContaining(`${LOCAL}:${internal.port}`),
    });
  });

  it('a closed port, Redis and an internal web service give the same text, and no credentials reach the log', async () => {
    logLines.length = 0;
    const closed = await unusedPort();
    rtsp ??= await startRtspServer();
    const texts = [
      await lastErrorOf(`http://viewer:${SECRET}@${LOCAL}:${closed}/live.ts`, 'HTTP', true),
      await lastErrorOf(`http://viewer:${SECRET}@${LOCAL}:${redisPort()}/live.ts`, 'HTTP', true),
      await lastErrorOf(`http://viewer:${SECRET}@${LOCAL}:${internal.port}/missing.mp4`, 'HTTP', true),
      await lastErrorOf(`${rtsp.url('no-such-camera', `viewer:${SECRET}`)}`, 'RTSP', true),
    ];
    expect(texts).toEqual(texts.map(() => 'source unreachable'));
    const reasons = logLines.map((line) => JSON.parse(line) as { kind?: string; reason?: string });
    expect(reasons.filter((r) => r.kind).map((r) => r.kind)).toEqual(
      expect.arrayContaining(['connection-refused', 'not-found']),
    );
    expect(logLines.join('\n')).not.toContain(SECRET);
  }, 120_000);
});
