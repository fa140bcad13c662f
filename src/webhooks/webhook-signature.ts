import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures. Every delivery carries `Vigil-Timestamp: <unix seconds>` and
 * `Vigil-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. Signing the timestamp with
 * the body makes a captured request useless once the receiver's tolerance window has passed.
 * The key is the endpoint's signing secret exactly as shown to the partner (`whsec_…`), as UTF-8.
 */
export const SIGNATURE_VERSION = 'v1';
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A new signing secret: 32 random bytes, shown to the partner once and stored sealed. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function digest(secret: string, timestamp: number | string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** The `Vigil-Signature` header value for a body sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `${SIGNATURE_VERSION}=${digest(secret, timestamp, body)}`;
}

export interface VerifyWebhookInput {
  secret: string;
  /** The raw request body, byte for byte as received (not re-serialised JSON). */
  body: string;
  /** The `Vigil-Timestamp` header. */
  timestamp: string | undefined;
  /** The `Vigil-Signature` header; several comma-separated `v1=` values are accepted. */
  signature: string | undefined;
  toleranceSeconds?: number;
  /** Unix seconds; defaults to the current time. */
  now?: number;
}

export type VerifyWebhookResult = { ok: true } | { ok: false; reason: 'malformed' | 'expired' | 'mismatch' };

/** Checks the timestamp is within the tolerance window and the signature matches, in constant time. */
export function verifyWebhook(input: VerifyWebhookInput): VerifyWebhookResult {
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = input.now ?? Math.floor(Date.now() / 1000);
  if (!input.timestamp || !/^\d{1,12}$/.test(input.timestamp) || !input.signature) {
    return { ok: false, reason: 'malformed' };
  }
  if (Math.abs(now - Number(input.timestamp)) > tolerance) return { ok: false, reason: 'expired' };
  const expected = Buffer.from(digest(input.secret, input.timestamp, input.body), 'hex');
  const candidates = input.signature
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${SIGNATURE_VERSION}=`))
    .map((part) => part.slice(SIGNATURE_VERSION.length + 1));
  if (candidates.length === 0) return { ok: false, reason: 'malformed' };
  for (const candidate of candidates) {
    if (!/^[0-9a-f]{64}$/i.test(candidate)) continue;
    if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) return { ok: true };
  }
  return { ok: false, reason: 'mismatch' };
}
