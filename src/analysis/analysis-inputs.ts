import Ajv, { type ValidateFunction } from 'ajv';
import type { PrismaClient } from '../db/prisma-client';
import type { TenantDb } from '../db/tenant-scoped-db';
import type { PromptFrame } from '../inference/gpu/window-prompt';
import type { FrameStore } from '../storage/frame-store';
import { RecentMap } from '../util/recent-map';

export type LoadedFrame = PromptFrame & { id: string; width: number; height: number };
export type VersionRow = NonNullable<Awaited<ReturnType<TenantDb['promptTemplateVersion']['findUnique']>>>;
export type TenantRow = NonNullable<Awaited<ReturnType<PrismaClient['tenant']['findUnique']>>>;
/** What a request needs of a frame row. */
export interface FrameFacts {
  id: string;
  storageKey: string;
  capturedAt: Date;
  skippedBefore: number;
  width: number;
  height: number;
}

/** The columns of a frame an analysis reads (FrameFacts). */
export const FRAME_FACTS = {
  id: true,
  storageKey: true,
  capturedAt: true,
  skippedBefore: true,
  width: true,
  height: true,
} as const;

/** Tenant settings (policy text, budget, over-budget action) apply to new windows within this time. */
const TENANT_CACHE_MS = 5_000;

/**
 * What an analysis reads besides its window, cached per process: template versions never change
 * once written; frames neither (until retention deletes them), and overlapping windows share half
 * their frames; a tenant's settings are re-read every few seconds.
 */
export class AnalysisInputs {
  private readonly versions = new RecentMap<VersionRow>(1_000);
  private readonly frameRows = new RecentMap<FrameFacts>(4_096);
  private readonly jpegs = new RecentMap<Buffer>(256);
  private readonly validators = new RecentMap<ValidateFunction>(1_000);
  private readonly tenants = new Map<string, { at: number; row: TenantRow }>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly store: FrameStore,
  ) {}

  async version(db: TenantDb, versionId: string): Promise<VersionRow> {
    let row = this.versions.get(versionId);
    if (!row) {
      row = await db.promptTemplateVersion.findUniqueOrThrow({ where: { id: versionId } });
      this.versions.set(versionId, row);
    }
    return row;
  }

  async tenant(tenantId: string): Promise<TenantRow> {
    const cached = this.tenants.get(tenantId);
    if (cached && Date.now() - cached.at < TENANT_CACHE_MS) return cached.row;
    const row = await this.prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } });
    if (this.tenants.size > 10_000) this.tenants.clear();
    this.tenants.set(tenantId, { at: Date.now(), row });
    return row;
  }

  /**
   * The window's frames in order with their JPEGs, or why they cannot be had. `known`: rows
   * already read with the window (its claim), so that only the others are asked for.
   */
  async frames(
    db: TenantDb,
    frameIds: string[],
    known: readonly FrameFacts[] = [],
  ): Promise<LoadedFrame[] | string> {
    for (const row of known) this.frameRows.set(row.id, row);
    const missing = frameIds.filter((id) => !this.frameRows.get(id));
    if (missing.length) {
      for (const row of await db.frame.findMany({ where: { id: { in: missing } }, select: FRAME_FACTS }))
        this.frameRows.set(row.id, row);
    }
    const ordered = frameIds.map((id) => this.frameRows.get(id));
    if (ordered.some((row) => !row)) return 'some of the window’s frames no longer exist (retention)';
    const read = async (key: string): Promise<Buffer> => {
      let jpeg = this.jpegs.get(key);
      if (!jpeg) {
        jpeg = await this.store.get(key);
        this.jpegs.set(key, jpeg);
      }
      return jpeg;
    };
    try {
      return await Promise.all(
        ordered.map(async (row) => ({
          id: row!.id,
          jpeg: await read(row!.storageKey),
          capturedAt: row!.capturedAt,
          skippedBefore: row!.skippedBefore,
          width: row!.width,
          height: row!.height,
        })),
      );
    } catch (error) {
      return `a frame could not be read from the frame store: ${(error as Error).message}`;
    }
  }

  /** A validator of the version's result schema: null when a result is valid, else why not. */
  resultValidator(versionId: string, schema: unknown): (value: unknown) => string | null {
    let validate = this.validators.get(versionId);
    if (!validate) {
      // A fresh Ajv per version: tenants' schemas must not meet in one registry.
      validate = new Ajv({ strict: false, allErrors: false }).compile(schema as object);
      this.validators.set(versionId, validate);
    }
    const check = validate;
    return (value) =>
      check(value)
        ? null
        : (check.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
  }
}
