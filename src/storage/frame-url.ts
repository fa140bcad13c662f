import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed frame URLs: `/frames/<frameId>?t=<tenantId>&e=<expiry>&s=<signature>`. A browser can
 * show a frame in an <img> without sending a token, and the server still checks on every request
 * that the frame belongs to the tenant the URL was signed for, and that the URL has not expired.
 */
export const FRAME_URL_TTL_SECONDS = 15 * 60;
/**
 * Incident clips: `/incidents/<incidentId>/clip.mp4?t=&e=&s=`, signed over a different message
 * (`clip:` first), so a frame's signature never opens a clip or the reverse. Links handed to
 * partners (webhooks) live longer than the console's, which are renewed with every query.
 */
export const CLIP_URL_TTL_SECONDS = 15 * 60;
export const SHARED_CLIP_URL_TTL_SECONDS = 24 * 3600;

export interface FrameUrlClaims {
  tenantId: string;
  frameId: string;
  expiresAt: number; // seconds since the epoch
}

export class FrameUrlSigner {
  constructor(private readonly secret: string) {}

  url(tenantId: string, frameId: string, now = Date.now()): string {
    const expiresAt = Math.floor(now / 1000) + FRAME_URL_TTL_SECONDS;
    const signature = this.sign({ tenantId, frameId, expiresAt });
    return `/frames/${frameId}?t=${tenantId}&e=${expiresAt}&s=${signature}`;
  }

  /** The claims of a valid, unexpired signature; null otherwise. */
  verify(frameId: string, query: Record<string, unknown>, now = Date.now()): FrameUrlClaims | null {
    return this.check(frameId, query, now, (claims) => this.sign(claims));
  }

  /** A signed URL of an incident's clip, valid for `ttlSeconds`. */
  clipUrl(tenantId: string, incidentId: string, ttlSeconds = CLIP_URL_TTL_SECONDS, now = Date.now()): string {
    const expiresAt = Math.floor(now / 1000) + ttlSeconds;
    const signature = this.signClip({ tenantId, frameId: incidentId, expiresAt });
    return `/incidents/${incidentId}/clip.mp4?t=${tenantId}&e=${expiresAt}&s=${signature}`;
  }

  /** The claims (frameId is the incident's id) of a valid, unexpired clip signature; null otherwise. */
  verifyClip(incidentId: string, query: Record<string, unknown>, now = Date.now()): FrameUrlClaims | null {
    return this.check(incidentId, query, now, (claims) => this.signClip(claims));
  }

  private check(
    id: string,
    query: Record<string, unknown>,
    now: number,
    sign: (claims: FrameUrlClaims) => string,
  ): FrameUrlClaims | null {
    const { t, e, s } = query;
    if (typeof t !== 'string' || typeof e !== 'string' || typeof s !== 'string' || !/^\d{1,12}$/.test(e))
      return null;
    const claims = { tenantId: t, frameId: id, expiresAt: Number(e) };
    if (claims.expiresAt * 1000 < now) return null;
    const expected = Buffer.from(sign(claims), 'utf8');
    const given = Buffer.from(s, 'utf8');
    return expected.length === given.length && timingSafeEqual(expected, given) ? claims : null;
  }

  private sign(claims: FrameUrlClaims): string {
    return createHmac('sha256', this.secret)
      .update(`${claims.tenantId}:${claims.frameId}:${claims.expiresAt}`)
      .digest('base64url');
  }

  private signClip(claims: FrameUrlClaims): string {
    return createHmac('sha256', this.secret)
      .update(`clip:${claims.tenantId}:${claims.frameId}:${claims.expiresAt}`)
      .digest('base64url');
  }
}
