import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { readFile, rm, mkdtemp } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { closeServer, listenOnLoopback, spawnLoopingPublisher, stopProcess } from './media-sources';

/**
 * HTTP(S) servers on 127.0.0.1 for the tests of where a stream source's ffmpeg may connect: each
 * records every connection and request it receives, answers from a table of routes first, and
 * otherwise serves files from a folder (HLS playlists and segments). A test treats one of them as
 * a public host through the address policy's test seam and another as internal, and checks that
 * the internal one was never reached.
 */
export interface RecordingServer {
  port: number;
  /** `http://127.0.0.1:<port>` or `https://…` */
  origin: string;
  /** Request targets received (`/hls/index.m3u8`), in order. */
  readonly requests: string[];
  /** TCP connections accepted (a TLS handshake or a request need not follow). */
  readonly connections: number;
  /** Routes answered before files: a path and what to send. */
  route(pathname: string, answer: RouteAnswer): void;
  close(): Promise<void>;
}

export type RouteAnswer =
  { status: number; body?: string | Buffer; headers?: Record<string, string> } | { redirect: string };

const HOST = '127.0.0.1';

const TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.mp4': 'video/mp4',
};

export async function startRecordingServer(
  root: string,
  tls?: { key: Buffer; cert: Buffer },
): Promise<RecordingServer> {
  const routes = new Map<string, RouteAnswer>();
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    requests.push(req.url ?? '');
    void answer(root, routes, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
  const server = tls
    ? https.createServer({ key: tls.key, cert: tls.cert }, handler)
    : http.createServer(handler);
  server.on('connection', (socket: net.Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listenOnLoopback(server);
  return {
    port,
    origin: `${tls ? 'https' : 'http'}://${HOST}:${port}`,
    requests,
    get connections() {
      return connections;
    },
    route: (pathname, routeAnswer) => routes.set(pathname, routeAnswer),
    close: () => closeServer(server, sockets),
  };
}

async function answer(
  root: string,
  routes: Map<string, RouteAnswer>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const pathname = new URL(req.url ?? '/', 'http://x').pathname;
  const routed = routes.get(pathname);
  if (routed && 'redirect' in routed) {
    res.writeHead(302, { location: routed.redirect });
    res.end();
    return;
  }
  if (routed) {
    res.writeHead(routed.status, routed.headers ?? {});
    res.end(routed.body ?? '');
    return;
  }
  const file = path.resolve(root, `.${decodeURIComponent(pathname)}`);
  const body = file.startsWith(path.resolve(root) + path.sep) ? await readFile(file).catch(() => null) : null;
  if (!body) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': body.length,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** A self-signed certificate for 127.0.0.1 and localhost, made with the openssl command. */
export async function selfSignedCertificate(): Promise<{ key: Buffer; cert: Buffer }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-cert-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    return { key: await readFile(key), cert: await readFile(cert) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** An HLS media playlist (VOD) of the given segment URLs, 1 s each, with an optional key line. */
export function mediaPlaylist(segments: string[], keyLine?: string): string {
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    '#EXT-X-TARGETDURATION:1',
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    ...(keyLine ? [keyLine] : []),
    ...segments.flatMap((segment) => ['#EXTINF:1.000000,', segment]),
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');
}

/** An HLS master playlist with one variant. */
export function masterPlaylist(variant: string): string {
  return ['#EXTM3U', '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360', variant, ''].join('\n');
}

export interface ScriptedRtspServer {
  port: number;
  /** Request lines received (`DESCRIBE rtsp://… RTSP/1.0`), in order. */
  readonly requests: string[];
  /** TCP connections accepted. */
  readonly connections: number;
  /** TLS only: the server name ffmpeg's side asked for (SNI), per connection. */
  readonly serverNames: string[];
  close(): Promise<void>;
}

/** An RTSP answer: status line text and headers; the sampler's relay sees it as any server's. */
export interface RtspAnswer {
  status: string;
  headers?: Record<string, string>;
  body?: string;
  /** Called once the answer is written (to start sending interleaved media after PLAY). */
  then?: (socket: net.Socket) => void;
}

/**
 * A scripted RTSP server: each request gets `answer(method, headers)` (CSeq added), or 200 OK.
 * Enough of RTSP for ffmpeg to reach the answer under test; it never sends media.
 */
export async function startScriptedRtspServer(
  answer: (method: string, headers: Record<string, string>) => RtspAnswer | undefined,
  options: { tls?: { key: Buffer; cert: Buffer } } = {},
): Promise<ScriptedRtspServer> {
  const requests: string[] = [];
  const serverNames: string[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const handle = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    socket.on('data', (data: Buffer) => {
      buffer += data.toString('latin1');
      let end: number;
      while ((end = buffer.indexOf('\r\n\r\n')) >= 0) {
        const [line = '', ...rest] = buffer.slice(0, end).split('\r\n');
        buffer = buffer.slice(end + 4);
        requests.push(line);
        const headers = Object.fromEntries(
          rest.map((h) => [
            h.slice(0, h.indexOf(':')).trim().toLowerCase(),
            h.slice(h.indexOf(':') + 1).trim(),
          ]),
        );
        const reply = answer(line.split(' ')[0] ?? '', headers) ?? { status: '200 OK' };
        const body = reply.body ?? '';
        const head = [
          `RTSP/1.0 ${reply.status}`,
          `CSeq: ${headers.cseq ?? '0'}`,
          ...Object.entries(reply.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
          `Content-Length: ${Buffer.byteLength(body)}`,
        ];
        socket.write(`${head.join('\r\n')}\r\n\r\n${body}`);
        reply.then?.(socket);
      }
    });
  };
  const server = options.tls
    ? tls.createServer({ key: options.tls.key, cert: options.tls.cert }, (socket) => {
        serverNames.push((socket as tls.TLSSocket & { servername?: string }).servername ?? '');
        handle(socket);
      })
    : net.createServer(handle);
  server.on('connection', () => (connections += 1));
  const port = await listenOnLoopback(server);
  return {
    port,
    requests,
    serverNames,
    get connections() {
      return connections;
    },
    close: () => closeServer(server, sockets),
  };
}

/** An SDP with one H.264 video track, what a camera answers DESCRIBE with. */
export const CAMERA_SDP = [
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=camera',
  'c=IN IP4 0.0.0.0',
  't=0 0',
  'm=video 0 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  'a=control:trackID=0',
  '',
].join('\r\n');

export interface InterleavedCamera {
  port: number;
  close(): Promise<void>;
}

/**
 * An RTSP camera that sends its video interleaved on the RTSP connection (`$` frames), as the
 * sampler asks for by default: ffmpeg packetises `file` (H.264) as RTP in real time to a local UDP
 * port, and every packet is written to each connection that has sent PLAY.
 */
export async function startInterleavedRtspCamera(file: string): Promise<InterleavedCamera> {
  const players = new Set<net.Socket>();
  const rtp = dgram.createSocket('udp4');
  const rtcp = dgram.createSocket('udp4');
  rtp.on('message', (packet: Buffer) => {
    const header = Buffer.from([0x24, 0, packet.length >> 8, packet.length & 255]);
    for (const player of players) if (!player.destroyed) player.write(Buffer.concat([header, packet]));
  });
  await new Promise<void>((resolve) => rtp.bind(0, HOST, () => resolve()));
  const rtpPort = rtp.address().port;
  await new Promise<void>((resolve, reject) => {
    rtcp.once('error', reject);
    rtcp.bind(rtpPort + 1, HOST, () => resolve());
  }).catch(() => undefined);
  const publisher = spawnLoopingPublisher(file, [
    '-bsf:v',
    'h264_mp4toannexb',
    '-f',
    'rtp',
    `rtp://${HOST}:${rtpPort}`,
  ]);
  const sdp = [
    'v=0',
    `o=- 0 0 IN IP4 ${HOST}`,
    's=camera',
    'c=IN IP4 0.0.0.0',
    't=0 0',
    'm=video 0 RTP/AVP 96',
    'a=rtpmap:96 H264/90000',
    'a=fmtp:96 packetization-mode=1',
    'a=control:trackID=0',
    '',
  ].join('\r\n');
  const camera = await startScriptedRtspServer((method): RtspAnswer | undefined => {
    if (method === 'DESCRIBE')
      return { status: '200 OK', headers: { 'Content-Type': 'application/sdp' }, body: sdp };
    if (method === 'SETUP') {
      return {
        status: '200 OK',
        headers: { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1', Session: '7' },
      };
    }
    if (method === 'PLAY') {
      return {
        status: '200 OK',
        headers: { Session: '7' },
        then: (socket) => {
          players.add(socket);
          socket.on('close', () => players.delete(socket));
        },
      };
    }
    return undefined;
  });
  return {
    port: camera.port,
    close: async () => {
      await stopProcess(publisher);
      await camera.close();
      rtp.close();
      try {
        rtcp.close();
      } catch {
        // Never bound.
      }
    },
  };
}
