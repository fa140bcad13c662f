import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Where frame JPEGs live, and the incidents' evidence clips beside them. The local folder is the
 * default; an S3-compatible store can implement the same interface. Keys are produced by `frameKey`
 * and `clipKey` only, never from user input.
 */
export interface FrameStore {
  put(key: string, jpeg: Buffer): Promise<void>;
  get(key: string): Promise<Buffer>;
  delete(key: string): Promise<void>;
  /**
   * The file holding a key's bytes, for a store that keeps them on this machine's disk (so a child
   * process such as ffmpeg can read them in place); absent for remote stores.
   */
  localFile?(key: string): string;
}

export interface StoredFrame {
  key: string;
  sha256: string;
  bytes: number;
}

const KEY = /^[0-9a-f-]{36}\/[0-9a-f-]{36}\/\d{4}-\d{2}-\d{2}\/\d{1,12}\.jpg$/;
const CLIP_KEY = /^[0-9a-f-]{36}\/[0-9a-f-]{36}\/clips\/[0-9a-f-]{36}\.mp4$/;

/** Whether a key is one `frameKey` or `clipKey` makes. */
export function isStoreKey(key: string): boolean {
  return KEY.test(key) || CLIP_KEY.test(key);
}

/** tenant/stream/day/sequence.jpg: per-tenant prefixes make retention and export simple. */
export function frameKey(tenantId: string, streamId: string, capturedAt: Date, sequence: number): string {
  const day = capturedAt.toISOString().slice(0, 10);
  const key = `${tenantId}/${streamId}/${day}/${sequence}.jpg`;
  if (!KEY.test(key)) throw new RangeError(`not a frame key: ${key}`);
  return key;
}

/** tenant/stream/clips/incident.mp4: an incident's clip beside its stream's frames, replaced when rebuilt. */
export function clipKey(tenantId: string, streamId: string, incidentId: string): string {
  const key = `${tenantId}/${streamId}/clips/${incidentId}.mp4`;
  if (!CLIP_KEY.test(key)) throw new RangeError(`not a clip key: ${key}`);
  return key;
}

export async function storeFrame(store: FrameStore, key: string, jpeg: Buffer): Promise<StoredFrame> {
  await store.put(key, jpeg);
  return { key, sha256: createHash('sha256').update(jpeg).digest('hex'), bytes: jpeg.length };
}

export class LocalFrameStore implements FrameStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  async put(key: string, jpeg: Buffer): Promise<void> {
    const file = this.pathOf(key);
    await mkdir(path.dirname(file), { recursive: true });
    // Write then rename: a reader never sees half a frame, even if the worker dies mid-write.
    const partial = `${file}.${randomBytes(4).toString('hex')}.partial`;
    await writeFile(partial, jpeg);
    await rename(partial, file);
  }

  async get(key: string): Promise<Buffer> {
    return readFile(this.pathOf(key));
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  localFile(key: string): string {
    return this.pathOf(key);
  }

  private pathOf(key: string): string {
    if (!isStoreKey(key)) throw new RangeError('not a frame or clip key');
    return path.join(this.root, ...key.split('/'));
  }
}
