import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed frame URLs: `/frames/<frameId>?t=<tenantId>&e=<expiry>&s=<signature>`. A browser can
 * show a frame in an <img> without sending a token, and the server still checks on every request
 * that the frame belongs to the tenant the URL was signed for, and that the URL has not expired.
 */
export const FRAME_URL_TTL_SECONDS = 15 * 60;

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
    const { t, e, s } = query;
    if (typeof t !== 'string' || typeof e !== 'string' || typeof s !== 'string' || !/^\d{1,12}$/.test(e))
      return null;
    const claims = { tenantId: t, frameId, expiresAt: Number(e) };
    if (claims.expiresAt * 1000 < now) return null;
    const expected = Buffer.from(this.sign(claims), 'utf8');
    const given = Buffer.from(s, 'utf8');
    return expected.length === given.length && timingSafeEqual(expected, given) ? claims : null;
  }

  private sign(claims: FrameUrlClaims): string {
    return createHmac('sha256', this.secret)
      .update(`${claims.tenantId}:${claims.frameId}:${claims.expiresAt}`)
      .digest('base64url');
  }
}
