import { FRAME_URL_TTL_SECONDS, FrameUrlSigner } from './frame-url';

const query = (url: string) => Object.fromEntries(new URL(url, 'http://x').searchParams);
const NOW = Date.UTC(2026, 10, 21, 12);

describe('FrameUrlSigner', () => {
  const signer = new FrameUrlSigner('test-secret');

  it('accepts its own URL until it expires, naming the tenant it was signed for', () => {
    const url = signer.url('tenant-a', 'frame-1', NOW);
    expect(url).toMatch(/^\/frames\/frame-1\?t=tenant-a&e=\d+&s=[\w-]+$/);
    expect(signer.verify('frame-1', query(url), NOW)).toEqual({
      tenantId: 'tenant-a',
      frameId: 'frame-1',
      expiresAt: NOW / 1000 + FRAME_URL_TTL_SECONDS,
    });
    expect(signer.verify('frame-1', query(url), NOW + (FRAME_URL_TTL_SECONDS + 1) * 1000)).toBeNull();
  });

  it('refuses a URL moved to another frame or tenant, a forged signature, or another secret', () => {
    const q = query(signer.url('tenant-a', 'frame-1', NOW));
    expect(signer.verify('frame-2', q, NOW)).toBeNull();
    expect(signer.verify('frame-1', { ...q, t: 'tenant-b' }, NOW)).toBeNull();
    expect(signer.verify('frame-1', { ...q, s: 'x'.repeat(43) }, NOW)).toBeNull();
    expect(signer.verify('frame-1', { ...q, e: String(Number(q.e) + 3600) }, NOW)).toBeNull();
    expect(new FrameUrlSigner('other').verify('frame-1', q, NOW)).toBeNull();
    expect(signer.verify('frame-1', {}, NOW)).toBeNull();
  });
});
