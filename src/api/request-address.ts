import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/i;

/**
 * The client address of a request the way Express's `trust proxy: 'loopback'` (app.ts) reads it,
 * for the WebSocket upgrade, which does not pass through Express: a proxy on this host (a loopback
 * address) is trusted to name the client in `X-Forwarded-For`, read from the right past every
 * loopback hop; from anywhere else the connection's own address is the client.
 */
export function requestClientAddress(request: Pick<IncomingMessage, 'headers' | 'socket'>): string {
  let address = request.socket.remoteAddress ?? 'unknown';
  const header = request.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '');
  while (LOOPBACK.test(address) && forwarded.length > 0) {
    const hop = forwarded.pop()!;
    if (isIP(hop) === 0) break;
    address = hop;
  }
  return address;
}
