import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Session tokens and API keys are 256-bit random secrets. They are stored only as sha256 digests:
 * with that much entropy a slow hash (as used for passwords) adds nothing but latency on every request.
 *
 * API key format: `vgk_<prefix>_<secret>`. The prefix is public (shown in lists, used to find the row);
 * the secret is shown once, at creation.
 */
export const SESSION_TOKEN_PREFIX = 'vgs_';
export const API_KEY_PREFIX = 'vgk_';

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function newSessionToken(): { token: string; tokenHash: string } {
  const token = SESSION_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return { token, tokenHash: sha256Hex(token) };
}

export function newApiKey(): { key: string; prefix: string; secretHash: string } {
  const prefix = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { key: `${API_KEY_PREFIX}${prefix}_${secret}`, prefix, secretHash: sha256Hex(secret) };
}

export function parseApiKey(key: string): { prefix: string; secret: string } | null {
  const match = /^vgk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(key);
  return match ? { prefix: match[1]!, secret: match[2]! } : null;
}

export function digestMatches(secret: string, expectedHex: string): boolean {
  const actual = Buffer.from(sha256Hex(secret), 'hex');
  const expected = Buffer.from(expectedHex, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A password a person can type once and then change; used for generated first-login passwords. */
export function newInitialPassword(): string {
  return randomBytes(18).toString('base64url');
}
