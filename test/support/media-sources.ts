import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ffmpegPath } from './media-fixtures';
import { waitFor } from './wait-for';

export { waitFor };

/**
 * Local stream sources for the sampler's tests, all on 127.0.0.1 and all stopped by their close():
 * an HTTP server for files and HLS, a TCP server that never answers, a port with nothing behind it,
 * a live HLS stream that ffmpeg keeps writing, and a real RTSP server.
 */

const HOST = '127.0.0.1';

const CONTENT_TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.mkv': 'video/x-matroska',
  '.ts': 'video/mp2t',
  '.m3u8': 'application/vnd.apple.mpegurl',
};

export interface MediaHttpServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** URL of a file under the served folder (or of a special path below). */
  url(relativePath: string, credentials?: string): string;
  close(): Promise<void>;
}

/**
 * Serves the files under `root` (with Range support, as ffmpeg's http protocol seeks with it),
 * and three special prefixes: `/silent/...` accepts the request and never answers, `/auth/...`
 * answers 401, anything missing answers 404.
 */
export async function startMediaHttpServer(root: string): Promise<MediaHttpServer> {
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    void serve(root, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listenOnLoopback(server);
  const origin = `http://${HOST}:${port}`;
  return {
    origin,
    url: (relativePath, credentials) =>
      `http://${credentials ? `${credentials}@` : ''}${HOST}:${port}/${relativePath.replace(/^\//, '')}`,
    close: () => closeServer(server, sockets),
  };
}

async function serve(root: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  if (pathname.startsWith('/silent/')) return; // hold the connection open, say nothing
  if (pathname.startsWith('/auth/')) {
    res.writeHead(401, { 'www-authenticate': 'Basic realm="vigil-test"' });
    res.end();
    return;
  }
  const file = path.resolve(root, `.${pathname}`);
  const size = file.startsWith(path.resolve(root) + path.sep)
    ? await stat(file).then(
        (s) => (s.isFile() ? s.size : undefined),
        () => undefined,
      )
    : undefined;
  if (size === undefined) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
    return;
  }
  const type = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  let start = 0;
  let end = size - 1;
  if (range && (range[1] || range[2])) {
    if (range[1]) {
      start = Number(range[1]);
      if (range[2]) end = Math.min(Number(range[2]), size - 1);
    } else {
      start = Math.max(0, size - Number(range[2]));
    }
    if (start > end || start >= size) {
      res.writeHead(416, { 'content-range': `bytes */${size}` });
      res.end();
      return;
    }
    res.writeHead(206, {
      'content-type': type,
      'content-length': end - start + 1,
      'content-range': `bytes ${start}-${end}/${size}`,
      'accept-ranges': 'bytes',
    });
  } else {
    res.writeHead(200, { 'content-type': type, 'content-length': size, 'accept-ranges': 'bytes' });
  }
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  createReadStream(file, { start, end })
    .on('error', () => res.destroy())
    .pipe(res);
}

export interface TcpSink {
  port: number;
  close(): Promise<void>;
}

/** A TCP server that accepts connections and never sends a byte: a source gone silent. */
export async function startSilentTcpServer(): Promise<TcpSink> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  return { port: await listenOnLoopback(server), close: () => closeServer(server, sockets) };
}

/** A loopback port nothing listens on (it was free a moment ago). */
export async function unusedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listenOnLoopback(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface LiveHls {
  /** Path of the playlist, relative to the served root. */
  playlist: string;
  /** The encoding ffmpeg's process id: SIGKILL leaves the playlist without an end tag (a source gone silent). */
  pid: number;
  stop(): Promise<void>;
}

/**
 * A live HLS stream: ffmpeg encodes testsrc in real time into 1 s segments under `root/<name>/`,
 * keeping the last six in a playlist without an end tag. Resolves once three segments exist.
 */
export async function startLiveHls(root: string, name = 'live'): Promise<LiveHls> {
  const dir = path.join(root, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir);
  const child = spawn(
    ffmpegPath(),
    [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-re',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=25',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-tune',
      'zerolatency',
      '-g',
      '25',
      '-pix_fmt',
      'yuv420p',
      '-f',
      'hls',
      '-hls_time',
      '1',
      '-hls_list_size',
      '6',
      '-hls_flags',
      'delete_segments+temp_file',
      '-hls_segment_filename',
      path.join(dir, 'segment-%05d.ts'),
      path.join(dir, 'index.m3u8'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const stop = () => stopProcess(child);
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error('live HLS ffmpeg exited');
      const text = await readFile(path.join(dir, 'index.m3u8'), 'utf8').catch(() => '');
      return (text.match(/#EXTINF/g) ?? []).length >= 3;
    }, 15_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { playlist: `${name}/index.m3u8`, pid: child.pid!, stop };
}

export interface RtspServer {
  /** URL a player opens for a mount. */
  url(mount: string, credentials?: string): string;
  /** Starts ffmpeg publishing `file` in a loop, in real time, on `mount`; resolves once a player can open it. */
  publish(file: string, mount: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real RTSP server: Debian's RTSP::Server (package librtsp-server-perl), a relay that sources
 * publish to (ANNOUNCE/RECORD on one port) and players read from (DESCRIBE/PLAY on another). It
 * sends RTP over UDP only, so players use `rtsp_transport udp`. ffmpeg publishes the file in a
 * loop at its own pace, which makes the mount a live camera.
 */
export async function startRtspServer(): Promise<RtspServer> {
  assertRtspServerInstalled();
  const [clientPort, sourcePort] = [await unusedPort(), await unusedPort()];
  // RTP ports the relay receives on: an even base in a range nothing else here uses.
  const rtpStartPort = 30_000 + 2 * Math.floor(Math.random() * 5_000);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-rtsp-'));
  const script = path.join(dir, 'rtsp-server.pl');
  await writeFile(script, RTSP_SERVER_SCRIPT);
  const server = spawn(
    'perl',
    [
      script,
      '--clientport',
      String(clientPort),
      '--serverport',
      String(sourcePort),
      '--client_listen_address',
      HOST,
      '--source_listen_address',
      HOST,
      '--rtp_start_port',
      String(rtpStartPort),
      '--loglevel',
      '1',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  server.stderr?.resume();
  const publishers: ChildProcess[] = [];
  const close = async () => {
    await Promise.all(publishers.map((p) => stopProcess(p)));
    await stopProcess(server);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => canConnect(clientPort), 10_000);
  } catch (error) {
    await close();
    throw error;
  }
  const url = (mount: string, credentials?: string) =>
    `rtsp://${credentials ? `${credentials}@` : ''}${HOST}:${clientPort}/${mount}`;
  return {
    url,
    close,
    async publish(file, mount) {
      const publisher = spawnLoopingPublisher(file, [
        '-f',
        'rtsp',
        '-rtsp_transport',
        'udp',
        `rtsp://${HOST}:${sourcePort}/${mount}`,
      ]);
      publishers.push(publisher);
      // The mount exists once the relay answers DESCRIBE with 200.
      await waitFor(async () => {
        if (publisher.exitCode !== null) throw new Error('RTSP publisher exited');
        return (await rtspDescribeStatus(clientPort, mount)) === 200;
      }, 10_000);
    },
  };
}

const RTSP_SERVER_SCRIPT = `use strict;
use warnings;
use AnyEvent;
use RTSP::Server;
my $server = RTSP::Server->new_with_options();
$server->listen;
my $done = AnyEvent->condvar;
$SIG{TERM} = sub { $done->send };
$SIG{INT} = sub { $done->send };
$done->recv;
`;

function assertRtspServerInstalled(): void {
  try {
    execFileSync('perl', ['-MRTSP::Server', '-e', '1'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      'the RTSP tests need Debian package librtsp-server-perl (apt-get install librtsp-server-perl)',
    );
  }
}

/** The status code of an RTSP DESCRIBE, spoken by hand so the test harness needs no client. */
function rtspDescribeStatus(port: number, mount: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect(port, HOST);
    let answer = '';
    const done = (status: number | undefined) => {
      socket.destroy();
      resolve(status);
    };
    socket.setTimeout(2_000, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('connect', () => {
      socket.write(
        `DESCRIBE rtsp://${HOST}:${port}/${mount} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n`,
      );
    });
    socket.on('data', (data) => {
      answer += data.toString('latin1');
      const match = /^RTSP\/1\.0 (\d{3})/.exec(answer);
      if (match) done(Number(match[1]));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, HOST);
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** Whether a process id is still alive (signal 0 checks without sending anything). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after 2 s; resolves when the process has exited. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
  await exited;
  clearTimeout(timer);
}

/**
 * ffmpeg playing `file` in a loop at its own pace, its first video stream copied as it is to
 * `output` (the output's options, then its URL): a live source made from a short clip.
 */
export function spawnLoopingPublisher(file: string, output: string[]): ChildProcess {
  return spawn(
    ffmpegPath(),
    [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-re',
      '-stream_loop',
      '-1',
      '-i',
      file,
      '-map',
      '0:v:0',
      '-c',
      'copy',
      ...output,
    ],
    { stdio: 'ignore' },
  );
}

/** Listens on an ephemeral port of 127.0.0.1, and returns the port. */
export async function listenOnLoopback(server: net.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}

/** Destroys the server's open connections, then closes it. */
export function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}
