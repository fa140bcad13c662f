import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { anchorKey, anchorPrefix, frameKey, storeFrame } from '../src/storage/frame-store';
import { S3FrameStore } from '../src/storage/s3-frame-store';

/**
 * The S3 frame store over real HTTP against s3rver, an S3-compatible server in Node (MinIO, which
 * docker-compose runs, cannot run on these machines): the same wire protocol, signatures included.
 */
describe('S3-compatible frame store', () => {
  let dir: string;
  let server: S3rver;
  let store: S3FrameStore;
  const tenant = '01a1fed2-ff41-75bf-b2d9-a12fe9d0bce6';
  const stream = '01a1fed3-0bf8-706b-9ee5-cb633c8de4a3';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'vigil-s3-'));
    server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: dir,
      configureBuckets: [{ name: 'frames', configs: [] }],
    });
    const address = (await server.run()) as AddressInfo;
    store = new S3FrameStore({
      endpoint: `http://127.0.0.1:${address.port}`,
      region: 'us-east-1',
      bucket: 'frames',
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
    });
  });
  afterAll(async () => {
    store.destroy();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores, reads back and deletes a frame', async () => {
    const jpeg = Buffer.from([0xff, 0xd8, 9, 8, 7, 0xff, 0xd9]);
    const key = frameKey(tenant, stream, new Date('2026-11-21T12:00:00Z'), 3);
    const stored = await storeFrame(store, key, jpeg);
    expect(stored.bytes).toBe(7);
    expect(await store.get(key)).toEqual(jpeg);
    await store.delete(key);
    await expect(store.get(key)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('lists a tenant’s anchors in chain order and writes them under Object Lock when asked', async () => {
    const keys = [12, 3, 7].map((index) => anchorKey(tenant, index));
    const retainUntil = new Date(Date.now() + 86_400_000);
    for (const key of keys) await store.put(key, Buffer.from(`{"i":"${key}"}`), { retainUntil });
    await store.put(frameKey(tenant, stream, new Date('2026-11-21T12:00:00Z'), 1), Buffer.from([1]));
    expect(await store.list(anchorPrefix(tenant))).toEqual([...keys].sort());
    expect(await store.list(anchorPrefix(stream))).toEqual([]);
    expect((await store.get(keys[0]!)).toString()).toBe(`{"i":"${keys[0]}"}`);
    await expect(store.list(`${tenant}/`)).rejects.toThrow(RangeError);
    // The request itself: COMPLIANCE mode until then (s3rver accepts and ignores the headers).
    expect(store.putInput(keys[0]!, Buffer.from('{}'), { retainUntil })).toMatchObject({
      ContentType: 'application/json',
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: retainUntil,
    });
    expect(store.putInput(keys[0]!, Buffer.from('{}'))).not.toHaveProperty('ObjectLockMode');
  });
});
