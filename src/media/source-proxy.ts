import http from 'node:http';
import net from 'node:net';
import type { AddressKind } from '../net/outbound-url-policy';
import {
  checkTarget,
  ResolvedAddress,
  SourceAddressPolicy,
  SourceResolver,
  systemResolver,
} from './source-address-policy';

/**
 * The forward proxy a sampler's ffmpeg sends all its HTTP(S) through, one per sampler run, on
 * 127.0.0.1. ffmpeg follows redirects, reads master and variant playlists, segments and AES keys by
 * itself, from URLs the source chooses; none of that is visible to a check of the top-level URL.
 * Through this proxy every one of those connections is judged: the host is resolved once, every
 * address is checked against the source address policy, and the connection goes to a checked
 * address only (the name is never looked up again, so DNS rebinding gains nothing). A refused
 * connection gets 403 and is recorded, so the sampler can say "address not allowed".
 *
 * Plain http arrives as absolute-form requests (`GET http://host/path`), sent on over a new
 * connection with the request's own Host header; https arrives as CONNECT host:port, tunnelled
 * byte for byte (TLS and its SNI stay between ffmpeg and the server). Only GET and HEAD are
 * forwarded: reading a source needs nothing else.
 */
export interface ProxyConnection {
  /** The host as ffmpeg asked for it (a name or an IP literal) and the port. */
  host: string;
  port: number;
  /** The address connected to or refused; absent when the name did not resolve. */
  address?: string;
  outcome: 'refused' | 'unresolved' | 'failed' | 'answered' | 'tunnelled';
  /** For `refused`: the kind of address. */
  refused?: AddressKind;
  /** For `unresolved` and `failed`: the error code (ECONNREFUSED, ETIMEDOUT, HPE_INVALID_CONSTANT …). */
  code?: string;
  /** For `answered`: the HTTP status (plain http only; a tunnel's statuses are encrypted). */
  status?: number;
}

export interface SourceProxyReport {
  /** Connections refused by the policy, and the first of them. */
  refusals: number;
  firstRefusal?: ProxyConnection;
  /** Whether every address a connection was tried to was public (true when none was tried). */
  onlyPublic: boolean;
  /** The latest connection that could not be made, or that answered with something other than HTTP. */
  lastFailure?: ProxyConnection;
  /** The latest HTTP status of 400 or more a source answered over plain http. */
  lastErrorStatus?: number;
}

export interface SourceProxy {
  /** `http://127.0.0.1:<port>`, for ffmpeg's http_proxy. */
  readonly url: string;
  report(): SourceProxyReport;
  /** Closes the listener and every connection through it, at once. */
  close(): void;
}

export interface SourceProxyOptions {
  policy: SourceAddressPolicy;
  /** Limit for resolving, connecting, and a silent upstream connection. */
  timeoutMs: number;
  /** Replaced in tests; the system resolver by default. */
  resolve?: SourceResolver;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const MAX_HOST_LENGTH = 255;

export async function startSourceProxy(options: SourceProxyOptions): Promise<SourceProxy> {
  const resolve = options.resolve ?? systemResolver;
  const sockets = new Set<net.Socket>();
  const report: SourceProxyReport = { refusals: 0, onlyPublic: true };
  let closed = false;

  const track = (socket: net.Socket) => {
    if (closed) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };

  const record = (connection: ProxyConnection) => {
    if (connection.outcome === 'refused') {
      report.refusals += 1;
      report.firstRefusal ??= connection;
    } else if (connection.outcome === 'unresolved' || connection.outcome === 'failed') {
      report.lastFailure = connection;
    } else if (connection.status !== undefined && connection.status >= 400) {
      report.lastErrorStatus = connection.status;
    }
  };

  /** Resolves and checks the host, then connects to the first checked address that accepts. */
  const open = async (
    host: string,
    port: number,
  ): Promise<{ socket: net.Socket; address: string } | ProxyConnection> => {
    const shortHost = host.slice(0, MAX_HOST_LENGTH);
    const check = await checkTarget(host, port, options.policy, resolve, options.timeoutMs);
    if (!check.ok) {
      return check.refused
        ? { host: shortHost, port, address: check.address, outcome: 'refused', refused: check.refused }
        : { host: shortHost, port, outcome: 'unresolved', code: check.code };
    }
    if (check.addresses.some(({ address }) => !options.policy.isPublic(address, port))) {
      report.onlyPublic = false;
    }
    let failure: ProxyConnection | undefined;
    for (const candidate of check.addresses) {
      try {
        const socket = await connect(candidate, port, options.timeoutMs);
        track(socket);
        return { socket, address: candidate.address };
      } catch (error) {
        failure = {
          host: shortHost,
          port,
          address: candidate.address,
          outcome: 'failed',
          code: codeOf(error),
        };
      }
    }
    return failure!;
  };

  const server = http.createServer((req, res) => {
    void forward(req, res).catch(() => {
      if (!res.headersSent) answer(res, 502);
      else res.destroy();
    });
  });

  async function forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      return answer(res, 400);
    }
    if (target.protocol !== 'http:' || !target.hostname) return answer(res, 400);
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405);
    const port = Number(target.port || 80);
    const opened = await open(target.hostname, port);
    if (!('socket' in opened)) {
      record(opened);
      return answer(res, opened.outcome === 'refused' ? 403 : opened.code === 'ETIMEDOUT' ? 504 : 502);
    }
    const { socket, address } = opened;
    const connection: ProxyConnection = {
      host: target.hostname.slice(0, MAX_HOST_LENGTH),
      port,
      address,
      outcome: 'answered',
    };
    const upstream = http.request({
      // No agent: this one connection, already made to the checked address.
      createConnection: () => socket,
      method: req.method,
      path: `${target.pathname}${target.search}`,
      headers: forwardedHeaders(req.rawHeaders, target.host),
      setHost: false,
      timeout: options.timeoutMs,
    });
    res.on('close', () => upstream.destroy());
    upstream.on('timeout', () =>
      upstream.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
    );
    upstream.on('error', (error) => {
      record({ ...connection, outcome: 'failed', code: codeOf(error) });
      if (!res.headersSent) answer(res, codeOf(error) === 'ETIMEDOUT' ? 504 : 502);
      else res.destroy();
    });
    upstream.on('response', (response) => {
      record({ ...connection, status: response.statusCode });
      res.writeHead(response.statusCode ?? 502, response.statusMessage, withoutHopByHop(response.rawHeaders));
      response.pipe(res);
      response.on('error', () => res.destroy());
    });
    upstream.end();
  }

  // The client socket is tracked already: it arrived through 'connection'.
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    void tunnel(req.url ?? '', client, head).catch(() => client.destroy());
  });

  async function tunnel(authority: string, client: net.Socket, head: Buffer): Promise<void> {
    const target = parseAuthority(authority);
    if (!target) return void client.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    const opened = await open(target.host, target.port);
    if (!('socket' in opened)) {
      record(opened);
      const status = opened.outcome === 'refused' ? '403 Forbidden' : '502 Bad Gateway';
      return void client.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    }
    const { socket } = opened;
    record({
      host: target.host.slice(0, MAX_HOST_LENGTH),
      port: target.port,
      address: opened.address,
      outcome: 'tunnelled',
    });
    if (client.destroyed) return void socket.destroy();
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.write(head);
    socket.pipe(client);
    client.pipe(socket);
    socket.on('close', () => client.destroy());
    client.on('close', () => socket.destroy());
  }

  server.on('connection', track);
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as net.AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    report: () => ({ ...report }),
    close() {
      closed = true;
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}

function connect({ address, family }: ResolvedAddress, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    // An IP address: net.connect looks nothing up.
    const socket = net.connect({ host: address, port, family });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? 'EPROTO';
}

function answer(res: http.ServerResponse, status: number): void {
  res.writeHead(status, { 'content-length': 0, connection: 'close' });
  res.end();
}

/** `host:port` of a CONNECT request; null unless it is exactly that, with a port. */
function parseAuthority(authority: string): { host: string; port: number } | null {
  if (!/^[^\s/?#@]+:\d{1,5}$/.test(authority)) return null;
  try {
    const url = new URL(`http://${authority}`);
    const port = Number(url.port);
    if (!url.hostname || !(port > 0 && port < 65536)) return null;
    return { host: url.hostname, port };
  } catch {
    return null;
  }
}

/** Names a Connection header lists are hop-by-hop too. */
function connectionTokens(raw: string[]): Set<string> {
  const tokens = new Set<string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'connection') {
      for (const token of raw[i + 1]!.split(',')) tokens.add(token.trim().toLowerCase());
    }
  }
  return tokens;
}

function withoutHopByHop(raw: string[]): string[] {
  const listed = connectionTokens(raw);
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(name) && !listed.has(name)) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/** The request's end-to-end headers, its Host (or the target's), and one request per connection. */
function forwardedHeaders(raw: string[], targetHost: string): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  const kept = withoutHopByHop(raw);
  for (let i = 0; i + 1 < kept.length; i += 2) {
    const name = kept[i]!.toLowerCase();
    const value = kept[i + 1]!;
    const existing = headers[name];
    headers[name] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  headers.host ??= targetHost;
  headers.connection = 'close';
  return headers;
}
