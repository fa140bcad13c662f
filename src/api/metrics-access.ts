import { isIP } from 'node:net';
import { digestMatches, sha256Hex } from '../auth/secret-token';
import { unmapIp } from '../net/outbound-url-policy';

/**
 * Who may read the API's /metrics: with a token configured, a request bearing it (compared in
 * constant time); without one, only a caller on this host (loopback), so metrics never reach the
 * internet by default.
 */
export function metricsAllowed(
  token: string,
  authorization: string | undefined,
  remoteAddress: string | undefined,
): boolean {
  if (token) {
    const presented = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1] ?? '';
    return presented.length > 0 && digestMatches(presented, sha256Hex(token));
  }
  return isLoopback(remoteAddress);
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const plain = unmapIp(address);
  if (isIP(plain) === 4) return plain.startsWith('127.');
  return plain === '::1';
}
