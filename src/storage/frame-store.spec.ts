import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { anchorKey, anchorPrefix, frameKey, LocalFrameStore, storeFrame } from './frame-store';

const TENANT = '01a1fed2-ff41-75bf-b2d9-a12fe9d0bce6';
const STREAM = '01a1fed3-0bf8-706b-9ee5-cb633c8de4a3';

describe('frame store (local folder)', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'vigil-frames-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('builds keys per tenant, stream and day', () => {
    expect(frameKey(TENANT, STREAM, new Date('2026-11-21T23:59:59Z'), 42)).toBe(
      `${TENANT}/${STREAM}/2026-11-21/42.jpg`,
    );
    expect(() => frameKey('../../etc', STREAM, new Date(), 1)).toThrow(RangeError);
  });

  it('stores, reads back and deletes a frame, with its sha256, leaving no partial files', async () => {
    const store = new LocalFrameStore(root);
    const jpeg = Buffer.from([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
    const key = frameKey(TENANT, STREAM, new Date('2026-11-21T10:00:00Z'), 7);
    const stored = await storeFrame(store, key, jpeg);
    expect(stored).toEqual({ key, sha256: createHash('sha256').update(jpeg).digest('hex'), bytes: 7 });
    expect(await store.get(key)).toEqual(jpeg);
    expect(await readdir(path.join(root, TENANT, STREAM, '2026-11-21'))).toEqual(['7.jpg']);
    await store.delete(key);
    await expect(store.get(key)).rejects.toMatchObject({ code: 'ENOENT' });
    await store.delete(key); // deleting twice is fine (retention may race with itself)
  });

  it('refuses keys that could escape its folder', async () => {
    const store = new LocalFrameStore(root);
    await expect(store.put('../outside.jpg', Buffer.alloc(1))).rejects.toThrow(RangeError);
    await expect(store.get(`${TENANT}/../../x.jpg`)).rejects.toThrow(RangeError);
  });

  it('keeps anchors apart from frames and lists only a tenant’s anchor prefix', async () => {
    const store = new LocalFrameStore(root);
    expect(anchorKey(TENANT, 42)).toBe(`audit-anchors/${TENANT}/000000000042.json`);
    expect(() => anchorKey('../x', 1)).toThrow(RangeError);
    expect(await store.list(anchorPrefix(TENANT))).toEqual([]);
    await store.put(anchorKey(TENANT, 9), Buffer.from('{}'), { retainUntil: new Date() });
    await store.put(anchorKey(TENANT, 10), Buffer.from('{}'));
    expect(await store.list(anchorPrefix(TENANT))).toEqual([anchorKey(TENANT, 9), anchorKey(TENANT, 10)]);
    await expect(store.list(`${TENANT}/`)).rejects.toThrow(RangeError);
  });
});
