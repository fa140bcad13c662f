import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface PutOptions {
  /**
   * Keep the object unchangeable until then: S3 Object Lock in COMPLIANCE mode (the bucket must
   * have Object Lock enabled). The local folder cannot lock a file and ignores it.
   */
  retainUntil?: Date;
}

/**
 * Where frame JPEGs live, the incidents' evidence clips beside them, and the signed anchors of the
 * tenants' audit chains. The local folder is the default; an S3-compatible store can implement the
 * same interface. Keys are produced by `frameKey`, `clipKey` and `anchorKey` only, never from user
 * input.
 */
export interface FrameStore {
  put(key: string, bytes: Buffer, options?: PutOptions): Promise<void>;
  get(key: string): Promise<Buffer>;
  delete(key: string): Promise<void>;
  /** The keys under a prefix of `anchorPrefix`, in key order. */
  list(prefix: string): Promise<string[]>;
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
const ANCHOR_KEY = /^audit-anchors\/[0-9a-f-]{36}\/\d{12}\.json$/;
const ANCHOR_PREFIX = /^audit-anchors\/[0-9a-f-]{36}\/$/;

/** Whether a key is one `frameKey`, `clipKey` or `anchorKey` makes. */
export function isStoreKey(key: string): boolean {
  return KEY.test(key) || CLIP_KEY.test(key) || ANCHOR_KEY.test(key);
}

/**
 * audit-anchors/tenant/chainIndex.json: the signed anchor of a tenant's chain head at that index,
 * zero-padded so key order is chain order. Apart from frames, so retention never reaches it.
 */
export function anchorKey(tenantId: string, chainIndex: number): string {
  const key = `${anchorPrefix(tenantId)}${String(chainIndex).padStart(12, '0')}.json`;
  if (!ANCHOR_KEY.test(key)) throw new RangeError(`not an anchor key: ${key}`);
  return key;
}

/** The prefix under which a tenant's anchors are stored (the only prefix `list` accepts). */
export function anchorPrefix(tenantId: string): string {
  return checkListPrefix(`audit-anchors/${tenantId}/`);
}

/** Checks a prefix handed to `list`: a tenant's anchors only. */
export function checkListPrefix(prefix: string): string {
  if (!ANCHOR_PREFIX.test(prefix)) throw new RangeError('not a listable prefix');
  return prefix;
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

  // A local folder cannot lock a file: retention (PutOptions.retainUntil) is the S3 store's.
  async put(key: string, jpeg: Buffer, _options?: PutOptions): Promise<void> {
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

  async list(prefix: string): Promise<string[]> {
    const folder = path.join(this.root, ...checkListPrefix(prefix).split('/').filter(Boolean));
    try {
      const names = await readdir(folder);
      return names
        .map((name) => `${prefix}${name}`)
        .filter(isStoreKey)
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  private pathOf(key: string): string {
    if (!isStoreKey(key)) throw new RangeError('not a frame, clip or anchor key');
    return path.join(this.root, ...key.split('/'));
  }
}
