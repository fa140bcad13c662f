import net from 'node:net';
import tls from 'node:tls';
import { ResolvedAddress, sourceTarget } from './source-address-policy';
import { listenOnLoopback, type SourceEgress } from './source-egress';

/**
 * The relay an RTSP source's ffmpeg connects to instead of the camera, one per sampler run, on
 * 127.0.0.1. The camera's name was resolved and every address checked before the run; the relay
 * connects only to those addresses, so ffmpeg never looks the name up.
 *
 * A relay rather than handing ffmpeg the checked address: ffmpeg follows an RTSP 3xx answer to any
 * host the source names (a new connection the sampler would never see), and over UDP it sends
 * packets to whatever address the server's `Transport: …;source=` names. So the relay reads what
 * the server sends (requests from ffmpeg pass untouched): a 3xx answer, or a REDIRECT request, is
 * never passed on (ffmpeg gets 403 and the redirect is recorded, refused when its host is not
 * allowed); a Transport header's source is set to the checked address. Interleaved RTP (`$`
 * frames, the video over TCP) passes through as it comes.
 *
 * For rtsps the relay speaks TLS to the camera (with the camera's name for SNI, verifying nothing,
 * as ffmpeg does by default) and plain RTSP to ffmpeg on loopback, which is what lets it read the
 * answers.
 */
export interface RtspRelayTarget {
  /** The host as the source URL names it, and its port. */
  host: string;
  port: number;
  /** Its addresses, already checked against the policy. */
  addresses: readonly ResolvedAddress[];
  tls: boolean;
}

export interface RtspRelay {
  /** The URL ffmpeg opens: the source's, with the relay's address (credentials, path, query kept). */
  urlFor(source: URL): string;
  close(): void;
}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_BODY_BYTES = 1024 * 1024;

export async function startRtspRelay(target: RtspRelayTarget, egress: SourceEgress): Promise<RtspRelay> {
  const server = net.createServer((client) => {
    egress.track(client);
    client.pause();
    void relay(client).catch(() => client.destroy());
  });

  async function relay(client: net.Socket): Promise<void> {
    const opened = await egress.connect(target.host, target.port, target.addresses);
    if (!('socket' in opened)) return void client.destroy();
    let upstream: net.Socket = opened.socket;
    if (target.tls) {
      upstream = tls.connect({
        socket: opened.socket,
        servername: net.isIP(target.host) ? undefined : target.host,
        rejectUnauthorized: false,
      });
      egress.track(upstream);
    }
    if (client.destroyed) return void upstream.destroy();
    const fromServer = new ServerMessages(opened.address, async (location, cseq) => {
      // Where the source wanted ffmpeg to go: judged (a refused address is what the tenant is told),
      // and never followed either way.
      const place = hostAndPort(location);
      const checked = place ? await egress.check(place.host, place.port) : undefined;
      if (!place || Array.isArray(checked)) {
        egress.record({
          host: target.host,
          port: target.port,
          address: opened.address,
          outcome: 'redirected',
          location: place ? `${place.host}:${place.port}` : 'an invalid location',
        });
      }
      client.end(`RTSP/1.0 403 Forbidden\r\n${cseq ? `CSeq: ${cseq}\r\n` : ''}Content-Length: 0\r\n\r\n`);
      upstream.destroy();
    });
    upstream.on('data', (chunk: Buffer) => {
      const forward = fromServer.push(chunk);
      if (forward === 'invalid') {
        egress.record({
          host: target.host,
          port: target.port,
          address: opened.address,
          outcome: 'failed',
          code: 'EBADRTSP',
        });
        client.destroy();
        upstream.destroy();
      } else if (forward.length > 0 && !client.write(forward)) {
        upstream.pause();
        client.once('drain', () => upstream.resume());
      }
    });
    client.pipe(upstream);
    client.resume();
    upstream.on('close', () => client.end());
    client.on('close', () => upstream.destroy());
  }

  const port = await listenOnLoopback(server);
  return {
    urlFor(source) {
      const url = new URL(source.href);
      url.protocol = 'rtsp:';
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.href;
    },
    close() {
      server.close();
      egress.close();
    },
  };
}

/** `host` and `port` of a redirect's location (the scheme's default port when none is written). */
function hostAndPort(location: string): { host: string; port: number } | null {
  try {
    const target = sourceTarget(new URL(location));
    return target.host ? target : null;
  } catch {
    return null;
  }
}

/**
 * Splits what an RTSP server sends into interleaved frames (`$`, channel, 16-bit length, data)
 * and messages (a head, then Content-Length bytes of body), and returns what may go on to ffmpeg.
 * A message that redirects stops the stream: `onRedirect` decides what ffmpeg gets instead.
 */
class ServerMessages {
  private pending: Buffer = Buffer.alloc(0);
  private stopped = false;

  constructor(
    /** The checked address of the server, the only source RTP may come from. */
    private readonly address: string,
    private readonly onRedirect: (location: string, cseq: string | undefined) => Promise<void>,
  ) {}

  /** The bytes to pass on (possibly none yet), or `invalid` for a stream that is not RTSP. */
  push(chunk: Buffer): Buffer | 'invalid' {
    if (this.stopped) return Buffer.alloc(0);
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    while (data.length > 0) {
      if (data[0] === 0x24) {
        if (data.length < 4) break;
        const end = 4 + data.readUInt16BE(2);
        if (data.length < end) break;
        out.push(data.subarray(0, end));
        data = data.subarray(end);
        continue;
      }
      const headEnd = data.indexOf('\r\n\r\n');
      if (headEnd < 0) {
        if (data.length > MAX_HEAD_BYTES) return 'invalid';
        break;
      }
      const head = data.subarray(0, headEnd).toString('latin1');
      const length = Number(/^content-length:\s*(\d+)\s*$/im.exec(head)?.[1] ?? 0);
      if (length > MAX_BODY_BYTES) return 'invalid';
      const end = headEnd + 4 + length;
      if (data.length < end) break;
      const message = this.judge(head, data.subarray(headEnd + 4, end));
      if (message === null) {
        this.stopped = true;
        this.pending = Buffer.alloc(0);
        return Buffer.concat(out);
      }
      out.push(message);
      data = data.subarray(end);
    }
    this.pending = Buffer.from(data);
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /** The message to pass on, or null when it redirects (onRedirect then answers ffmpeg). */
  private judge(head: string, body: Buffer): Buffer | null {
    const firstLine = head.split('\r\n', 1)[0] ?? '';
    const redirectAnswer = /^RTSP\/\d\.\d 3\d\d\b/.test(firstLine);
    const redirectRequest = /^REDIRECT\s/i.test(firstLine);
    if (redirectAnswer || redirectRequest) {
      const location = /^location:\s*(\S+)\s*$/im.exec(head)?.[1] ?? firstLine.split(/\s+/)[1] ?? '';
      void this.onRedirect(location, /^cseq:\s*(\d+)\s*$/im.exec(head)?.[1]);
      return null;
    }
    const rewritten = head.replace(/^(transport:[ \t]*)(.*)$/gim, (_line, name: string, value: string) => {
      return `${name}${value
        .split(',')
        .map((spec) => this.pinSource(spec))
        .join(',')}`;
    });
    return Buffer.concat([Buffer.from(`${rewritten}\r\n\r\n`, 'latin1'), body]);
  }

  /** A UDP transport's packets go to the checked server address, whatever source the server names. */
  private pinSource(spec: string): string {
    const params = spec.split(';').filter((param) => !/^\s*(source|destination)\s*=/i.test(param));
    if (/\/TCP\b/i.test(params[0] ?? '')) return params.join(';');
    return [...params, `source=${this.address}`].join(';');
  }
}
