import http from 'node:http';
import net from 'node:net';
import { codeOf, EgressConnection, listenOnLoopback, SourceEgress } from './source-egress';

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
 * forwarded: reading a source needs nothing else. Another process on this machine could use the
 * proxy while it runs, but it reaches nothing the policy would not let a source reach.
 */
export interface SourceProxy {
  /** `http://127.0.0.1:<port>`, for ffmpeg's http_proxy. */
  readonly url: string;
  /** Closes the listener and every connection through it, at once. */
  close(): void;
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

/**
 * A plain-http source's credentials, kept out of ffmpeg's command line (which every local user can
 * read): the proxy puts them back on requests for the source's own URL.
 */
export interface SourceCredentials {
  /** The source URL as ffmpeg is given it: no user info, no secret query parameters. */
  bare: URL;
  /** `Basic …` from the URL's user info, if it had any. */
  authorization: string | null;
  /** The secret query parameters taken out, in their order. */
  query: [string, string][];
}

/**
 * Splits a source URL into what ffmpeg may see and the credentials the proxy adds back; null when
 * it carries none, or when it is https (the proxy only tunnels TLS, so those stay in the URL).
 */
export function splitCredentials(raw: string, isSecret: (name: string) => boolean): SourceCredentials | null {
  const url = new URL(raw);
  if (url.protocol !== 'http:') return null;
  const authorization =
    url.username || url.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
      : null;
  const query = [...url.searchParams].filter(([name]) => isSecret(name));
  if (!authorization && query.length === 0) return null;
  const bare = new URL(url);
  bare.username = '';
  bare.password = '';
  for (const [name] of query) bare.searchParams.delete(name);
  return { bare, authorization, query };
}

/** The request path with the source's credentials put back, when it asks for the source's URL. */
function withCredentials(
  target: URL,
  credentials: SourceCredentials | null,
): { path: string; authorization: string | null } {
  const path = `${target.pathname}${target.search}`;
  if (
    !credentials ||
    target.origin !== credentials.bare.origin ||
    target.pathname !== credentials.bare.pathname
  )
    return { path, authorization: null };
  const full = new URL(target);
  for (const [name, value] of credentials.query) full.searchParams.append(name, value);
  return { path: `${full.pathname}${full.search}`, authorization: credentials.authorization };
}

/** Starts the proxy; its connections are made and recorded by `egress` (whose timeout also bounds a silent upstream). */
export async function startSourceProxy(
  egress: SourceEgress,
  credentials: SourceCredentials | null = null,
): Promise<SourceProxy> {
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
    const opened = await egress.open(target.hostname, port);
    if (!('socket' in opened)) {
      return answer(res, opened.outcome === 'refused' ? 403 : opened.code === 'ETIMEDOUT' ? 504 : 502);
    }
    const { socket, address } = opened;
    const connection: EgressConnection = {
      host: target.hostname,
      port,
      address,
      outcome: 'answered',
    };
    const request = withCredentials(target, credentials);
    const headers = forwardedHeaders(req.rawHeaders, target.host);
    if (request.authorization && !headers.authorization) headers.authorization = request.authorization;
    const upstream = http.request({
      // No agent: this one connection, already made to the checked address.
      createConnection: () => socket,
      method: req.method,
      path: request.path,
      headers,
      setHost: false,
      timeout: egress.timeoutMs,
    });
    res.on('close', () => upstream.destroy());
    upstream.on('timeout', () =>
      upstream.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
    );
    upstream.on('error', (error) => {
      egress.record({ ...connection, outcome: 'failed', code: codeOf(error) });
      if (!res.headersSent) answer(res, codeOf(error) === 'ETIMEDOUT' ? 504 : 502);
      else res.destroy();
    });
    upstream.on('response', (response) => {
      egress.record({ ...connection, status: response.statusCode });
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
    const opened = await egress.open(target.host, target.port);
    if (!('socket' in opened)) {
      const status = opened.outcome === 'refused' ? '403 Forbidden' : '502 Bad Gateway';
      return void client.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    }
    const { socket } = opened;
    egress.record({
      host: target.host,
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

  server.on('connection', (socket: net.Socket) => egress.track(socket));
  server.on('clientError', (_error, socket) => socket.destroy());
  const port = await listenOnLoopback(server);

  return {
    url: `http://127.0.0.1:${port}`,
    close() {
      server.close();
      egress.close();
    },
  };
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
