import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { checkListPrefix, type FrameStore, type PutOptions } from './frame-store';

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

  async put(key: string, bytes: Buffer, options: PutOptions = {}): Promise<void> {
    await this.client.send(new PutObjectCommand(this.putInput(key, bytes, options)), {
      abortSignal: AbortSignal.timeout(TIMEOUT_MS),
    });
  }

  /**
   * The request of a put. With `retainUntil`, the object is written under S3 Object Lock in
   * COMPLIANCE mode: nobody, the bucket's owner included, can delete or overwrite that version
   * before then (the SDK's checksum header satisfies the integrity header Object Lock requires).
   */
  putInput(key: string, bytes: Buffer, options: PutOptions = {}) {
    return {
      Bucket: this.options.bucket,
      Key: key,
      Body: bytes,
      ContentType: key.endsWith('.mp4')
        ? 'video/mp4'
        : key.endsWith('.json')
          ? 'application/json'
          : 'image/jpeg',
      ...(options.retainUntil
        ? { ObjectLockMode: 'COMPLIANCE' as const, ObjectLockRetainUntilDate: options.retainUntil }
        : {}),
    };
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.options.bucket,
          Prefix: checkListPrefix(prefix),
          ContinuationToken: token,
        }),
        { abortSignal: AbortSignal.timeout(TIMEOUT_MS) },
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
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
