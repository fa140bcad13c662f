import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../config/config';
import type { TenantDb } from '../db/tenant-scoped-db';
import { notFound } from '../errors/domain-error';
import type { Frame, Window, WindowStatus } from '../generated/prisma/client';
import { createFrameStore } from '../storage/create-frame-store';
import type { FrameStore } from '../storage/frame-store';
import { FrameUrlSigner } from '../storage/frame-url';
import { requireId } from './input-schemas';
import { Connection, PageArgs, paginate } from './pagination';

export type FrameView = Frame & { url: string };

/** Analysis windows and their frames, as the API shows them (frames as signed URLs). */
export class WindowService {
  readonly store: FrameStore;
  readonly signer: FrameUrlSigner;

  constructor(config: AppConfig) {
    this.store = createFrameStore(config);
    // Without a configured secret, URLs are only valid on the API process that signed them.
    this.signer = new FrameUrlSigner(config.FRAME_URL_SECRET || randomBytes(32).toString('hex'));
  }

  async listForStream(
    db: TenantDb,
    streamId: string,
    page: PageArgs,
    status?: WindowStatus | null,
  ): Promise<Connection<Window>> {
    return paginate(page, (query) =>
      db.window.findMany({
        ...query,
        where: { ...query.where, streamId: requireId(streamId, 'streamId'), ...(status ? { status } : {}) },
      }),
    );
  }

  async get(db: TenantDb, windowId: string): Promise<Window> {
    const window = await db.window.findUnique({ where: { id: requireId(windowId, 'windowId') } });
    if (!window) throw notFound('Window');
    return window;
  }

  /** The window, or null when it is gone (purged) or another tenant's. */
  find(db: TenantDb, windowId: string): Promise<Window | null> {
    return db.window.findUnique({ where: { id: windowId } });
  }

  /** The window's frames in capture order, each with a signed URL. */
  async framesOf(db: TenantDb, window: Pick<Window, 'frameIds'>): Promise<FrameView[]> {
    const frames = await db.frame.findMany({
      where: { id: { in: window.frameIds } },
      orderBy: { sequence: 'asc' },
    });
    return frames.map((frame) => ({ ...frame, url: this.signer.url(frame.tenantId, frame.id) }));
  }

  /** A frame as the API shows it: with its signed URL. */
  signed(frame: Frame): FrameView {
    return { ...frame, url: this.signer.url(frame.tenantId, frame.id) };
  }

  /** The stream's newest kept frame with a signed URL (a picture to draw zones on); null before the first. */
  async latestFrameOf(db: TenantDb, streamId: string): Promise<FrameView | null> {
    const frame = await db.frame.findFirst({
      where: { streamId },
      orderBy: [{ capturedAt: 'desc' }, { sequence: 'desc' }],
    });
    return frame ? { ...frame, url: this.signer.url(frame.tenantId, frame.id) } : null;
  }

  /** A frame's JPEG, only from the tenant the caller proved (signature or credential). */
  async frameBytes(db: TenantDb, frameId: string): Promise<Buffer> {
    const frame = await db.frame.findUnique({ where: { id: requireId(frameId, 'frameId') } });
    if (!frame) throw notFound('Frame');
    return this.store.get(frame.storageKey).catch(() => {
      throw notFound('Frame');
    });
  }
}
