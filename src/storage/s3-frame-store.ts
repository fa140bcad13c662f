import {
  DeleteObjectCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { FrameStore } from './frame-store';

export interface S3FrameStoreOptions {
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** MinIO and most S3-compatible servers want path-style URLs (http://host/bucket/key). */
  forcePathStyle: boolean;
}

const TIMEOUT_MS = 10_000;

/** The frame store on an S3-compatible object store (AWS S3, MinIO, …). Keys are frameKey()'s. */
export class S3FrameStore implements FrameStore {
  private readonly client: S3Client;

  constructor(private readonly options: S3FrameStoreOptions) {
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      // Bounded retries; every call below also has its own timeout (docs/principles.md, 6).
      maxAttempts: 3,
    });
  }

  async put(key: string, jpeg: Buffer): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: key,
        Body: jpeg,
        ContentType: key.endsWith('.mp4') ? 'video/mp4' : 'image/jpeg',
      }),
      { abortSignal: AbortSignal.timeout(TIMEOUT_MS) },
    );
  }

  async get(key: string): Promise<Buffer> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }), {
        abortSignal: AbortSignal.timeout(TIMEOUT_MS),
      });
      return Buffer.from(await object.Body!.transformToByteArray());
    } catch (error) {
      // The same shape as the local store's missing file, so callers handle one case.
      if (error instanceof NoSuchKey) throw Object.assign(new Error(`no frame ${key}`), { code: 'ENOENT' });
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }), {
      abortSignal: AbortSignal.timeout(TIMEOUT_MS),
    });
  }

  destroy(): void {
    this.client.destroy();
  }
}
