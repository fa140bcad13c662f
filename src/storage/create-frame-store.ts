import type { AppConfig } from '../config/config';
import { FrameStore, LocalFrameStore } from './frame-store';
import { S3FrameStore } from './s3-frame-store';

/** The frame store the configuration asks for; the one place that chooses. */
export function createFrameStore(config: AppConfig): FrameStore {
  if (config.FRAME_STORE === 's3') {
    return new S3FrameStore({
      endpoint: config.S3_ENDPOINT || undefined,
      region: config.S3_REGION,
      bucket: config.S3_BUCKET,
      accessKeyId: config.S3_ACCESS_KEY_ID,
      secretAccessKey: config.S3_SECRET_ACCESS_KEY,
      forcePathStyle: config.S3_FORCE_PATH_STYLE,
    });
  }
  return new LocalFrameStore(config.FRAME_STORE_DIR);
}
