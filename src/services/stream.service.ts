import { z } from 'zod';
import type { AppConfig } from '../config/config';
import type { Actor } from '../auth/permissions';
import { systemActor } from '../audit/audit-log';
import type { TenantDb, TenantTx } from '../db/tenant-scoped-db';
import { badInput, conflict, DomainError, ErrorReason, notFound } from '../errors/domain-error';
import { withPrismaErrors } from '../errors/prisma-error.mapper';
import { validateInput } from '../errors/validate-input';
import type { Prisma, Stream, Tenant } from '../generated/prisma/client';
import type { StreamStatus } from '../generated/prisma/enums';
import { checkSourceUrl, redactSourceUrl, SourcePolicy, SourceUrlError } from '../media/source-url';
import { type EventPublisher, LiveEvents, noLiveEvents } from '../pubsub/live-events';
import type { Tripwire, Zone } from '../scene/scene-region';
import { findScene, type SavedScene, saveScene, type SceneDraft } from '../streams/stream-scene';
import {
  changeStreamSettings,
  deleteStream,
  insertStream,
  streamHasEvidence,
} from '../streams/stream-settings';
import { type PersonStreamChange, StreamStatusOwner } from '../streams/stream-status';
import { nameSchema, requireId } from './input-schemas';
import { Connection, PageArgs, paginate } from './pagination';

const samplingShape = {
  fps: z.number().min(0.2, 'must be at least 0.2').max(5, 'must be at most 5'),
  maxWidth: z
    .number()
    .int()
    .min(64)
    .max(1344)
    .refine((width) => width % 32 === 0, 'must be a multiple of 32 (the model sees 32-pixel patches)'),
  ssimThreshold: z.number().min(0).max(1),
  windowSize: z.number().int().min(1).max(32),
  windowStride: z.number().int().min(1).max(32),
};

const streamKinds = z.enum(['RTSP', 'HLS', 'HTTP', 'FILE']);

const createStreamSchema = z
  .object({
    name: nameSchema,
    sourceUrl: z.string(),
    kind: streamKinds.nullish(),
    templateId: z.string().nullish(),
    start: z.boolean().nullish(),
    fps: samplingShape.fps.default(2),
    maxWidth: samplingShape.maxWidth.default(448),
    ssimThreshold: samplingShape.ssimThreshold.default(0.95),
    windowSize: samplingShape.windowSize.default(8),
    windowStride: samplingShape.windowStride.default(4),
  })
  .refine((s) => s.windowStride <= s.windowSize, {
    path: ['windowStride'],
    message: 'must not exceed windowSize (windows would skip frames)',
  });

const updateStreamSchema = z.object({
  name: nameSchema.optional(),
  sourceUrl: z.string().optional(),
  kind: streamKinds.nullish(),
  templateId: z.string().nullish(),
  fps: samplingShape.fps.optional(),
  maxWidth: samplingShape.maxWidth.optional(),
  ssimThreshold: samplingShape.ssimThreshold.optional(),
  windowSize: samplingShape.windowSize.optional(),
  windowStride: samplingShape.windowStride.optional(),
});

export type CreateStreamFields = z.input<typeof createStreamSchema>;
export type UpdateStreamFields = z.input<typeof updateStreamSchema>;

/** A stream as the API shows it: the source URL never carries its credentials out. */
export type StreamView = Omit<Stream, 'sourceUrl'> & { sourceUrl: string };

export const toStreamView = (stream: Stream): StreamView =>
  // A row read without its source (a list that did not select it) has nothing to mask.
  stream.sourceUrl === undefined ? stream : { ...stream, sourceUrl: redactSourceUrl(stream.sourceUrl) };

/** The scene a caller sends: the stream, the version it was edited from, every zone and line. */
export type SaveStreamSceneFields = SceneDraft & { streamId: string; expectedVersion: number };

/** A version of a stream's scene as the API shows it: zones and lines apart, its author by e-mail. */
export interface StreamSceneView {
  streamId: string;
  version: number;
  zones: Zone[];
  lines: Tripwire[];
  savedAt: Date | null;
  savedBy: string | null;
}

export class StreamService {
  private readonly sourcePolicy: SourcePolicy;
  private readonly status: StreamStatusOwner;

  constructor(
    config: AppConfig,
    private readonly loadTenant: (tenantId: string) => Promise<Tenant>,
    /** Sends status changes to streamStatus subscriptions. */
    private readonly publisher: EventPublisher = noLiveEvents,
  ) {
    this.status = new StreamStatusOwner(publisher);
    this.sourcePolicy = {
      allowFileSources: config.ALLOW_FILE_SOURCES,
      fileSourceRoot: config.FILE_SOURCE_ROOT,
    };
  }

  /** The tenant's streams of one status; without one, every stream but the archived ones. */
  /**
   * A page of the tenant's streams. With `columns` (what the caller will read, at least the id),
   * each row carries only those: the API passes what the query's selection needs.
   */
  async list(
    db: TenantDb,
    page: PageArgs,
    status?: StreamStatus | null,
    columns?: Partial<Record<Prisma.StreamScalarFieldEnum, true>>,
  ): Promise<Connection<StreamView>> {
    const connection = await paginate(
      page,
      (query) =>
        db.stream.findMany({
          ...query,
          where: { ...query.where, status: status ?? { not: 'ARCHIVED' } },
          ...(columns ? { select: columns } : {}),
        }) as Promise<Stream[]>,
    );
    return {
      ...connection,
      edges: connection.edges.map((edge) => ({ ...edge, node: toStreamView(edge.node) })),
    };
  }

  async get(db: TenantDb, streamId: string): Promise<StreamView> {
    return toStreamView(await this.find(db, streamId));
  }

  async create(db: TenantDb, actor: Actor, input: CreateStreamFields): Promise<StreamView> {
    const parsed = validateInput(createStreamSchema, input);
    const tenant = await this.loadTenant(actor.tenantId);
    this.checkFps(parsed.fps, tenant);
    const source = this.checkSource(parsed.sourceUrl, parsed.kind);
    const { kind: _kind, sourceUrl: _url, templateId, start, ...settings } = parsed;
    const events = new LiveEvents();
    const stream = await this.withNameErrors(parsed.name, () =>
      db.$transaction(async (tx) => {
        // First of all, as every start: the creation then waits for concurrent starts to end.
        if (start !== false) await this.status.serialiseStarts(tx, actor.tenantId);
        // Omitted: the tenant's default; null: no template, as the caller chose.
        const template =
          templateId === null
            ? null
            : templateId !== undefined
              ? await this.findTemplateId(tx, templateId)
              : await this.defaultTemplateId(tx, tenant);
        const created = await insertStream(tx, actor, {
          ...settings,
          sourceUrl: source.url,
          kind: source.kind,
          templateId: template,
        });
        if (start === false) return created;
        // Created and started together: a stream over the active quota is not created at all.
        return this.status.startInTransaction(tx, actor, created, events, (lockedTx, current) =>
          this.checkActiveQuota(lockedTx, actor.tenantId, current.id),
        );
      }),
    );
    await events.publish(this.publisher);
    return toStreamView(stream);
  }

  /**
   * The template of a stream created without one: the tenant's default template, or (none chosen,
   * or the chosen one deleted since) its oldest; none when the tenant has no template.
   */
  private async defaultTemplateId(tx: TenantTx, tenant: Tenant): Promise<string | null> {
    const chosen = tenant.defaultTemplateId
      ? await tx.promptTemplate.findUnique({ where: { id: tenant.defaultTemplateId }, select: { id: true } })
      : null;
    if (chosen) return chosen.id;
    const oldest = await tx.promptTemplate.findFirst({
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      select: { id: true },
    });
    return oldest?.id ?? null;
  }

  async update(db: TenantDb, actor: Actor, streamId: string, input: UpdateStreamFields): Promise<StreamView> {
    const id = requireId(streamId, 'streamId');
    const parsed = validateInput(updateStreamSchema, input);
    if (parsed.fps !== undefined) this.checkFps(parsed.fps, await this.loadTenant(actor.tenantId));
    const stream = await this.withNameErrors(parsed.name, () =>
      db.$transaction(async (tx) => {
        const current = await tx.stream.findUnique({ where: { id } });
        if (!current) throw notFound('Stream');
        const windowSize = parsed.windowSize ?? current.windowSize;
        const windowStride = parsed.windowStride ?? current.windowStride;
        if (windowStride > windowSize) {
          throw badInput([
            {
              field: 'input.windowStride',
              message: 'must not exceed windowSize (windows would skip frames)',
            },
          ]);
        }
        const source =
          parsed.sourceUrl !== undefined
            ? this.checkSource(parsed.sourceUrl, parsed.kind)
            : parsed.kind && parsed.kind !== current.kind
              ? this.checkSource(current.sourceUrl, parsed.kind)
              : null;
        const data: Prisma.StreamUncheckedUpdateInput = {
          ...(parsed.name !== undefined ? { name: parsed.name } : {}),
          ...(source ? { sourceUrl: source.url, kind: source.kind } : {}),
          ...(parsed.templateId !== undefined
            ? {
                templateId:
                  parsed.templateId === null ? null : await this.findTemplateId(tx, parsed.templateId),
              }
            : {}),
          ...pickDefined(parsed, ['fps', 'maxWidth', 'ssimThreshold', 'windowSize', 'windowStride']),
        };
        return changeStreamSettings(tx, actor, current, data, parsed);
      }),
    );
    return toStreamView(stream);
  }

  /**
   * Deletes a stream without evidence; one with evidence (incidents, review items, analyses) is
   * refused as CONFLICT STILL_REFERENCED: archive it.
   */
  async delete(db: TenantDb, actor: Actor, streamId: string): Promise<string> {
    const id = requireId(streamId, 'streamId');
    try {
      return await withPrismaErrors('stream', () =>
        db.$transaction(async (tx) => {
          await deleteStream(tx, actor, id);
          return id;
        }),
      );
    } catch (error) {
      // Evidence recorded after the check: the database's foreign keys refused the delete.
      if (error instanceof DomainError && error.reason === ErrorReason.STILL_REFERENCED) {
        throw streamHasEvidence();
      }
      throw error;
    }
  }

  /**
   * Archives a stream (any status but ARCHIVED): it stops being sampled, cannot be started again,
   * leaves the default stream list and gives up its name, and stays readable by id and in reports
   * with its evidence until retention purges them.
   */
  archive(db: TenantDb, actor: Actor, streamId: string): Promise<StreamView> {
    return this.transition(db, actor, streamId, 'archive');
  }

  transition(db: TenantDb, actor: Actor, streamId: string, action: PersonStreamChange): Promise<StreamView> {
    const id = requireId(streamId, 'streamId');
    return this.status
      .changeByPerson(db, actor, id, action, (tx, current) =>
        this.checkActiveQuota(tx, actor.tenantId, current.id),
      )
      .then(toStreamView);
  }

  /**
   * A worker's job (`job`, such as "demo-footage-replay") plays an ENDED file stream again; the
   * audit names the job, not a person. A stream paused or stopped meanwhile is left as it is
   * (CONFLICT INVALID_TRANSITION).
   */
  replayEnded(db: TenantDb, tenantId: string, streamId: string, job: string): Promise<StreamView> {
    const id = requireId(streamId, 'streamId');
    return this.status
      .replayEnded(db, systemActor(tenantId, job), id, (tx, current) =>
        this.checkActiveQuota(tx, tenantId, current.id),
      )
      .then(toStreamView);
  }

  /** The stream's current zones and lines (version 0, empty, while none are drawn). */
  async scene(db: TenantDb, stream: Pick<Stream, 'id' | 'sceneVersion'>): Promise<StreamSceneView> {
    const saved = await findScene(db, stream.id, stream.sceneVersion);
    return this.sceneView(db, stream.id, saved ?? (await findScene(db, stream.id, 0))!);
  }

  /** One version of the stream's scene, e.g. the one an analysis used; null if there is no such version. */
  async sceneAt(db: TenantDb, streamId: string, version: number): Promise<StreamSceneView | null> {
    const saved = await findScene(db, streamId, version);
    return saved ? this.sceneView(db, streamId, saved) : null;
  }

  /** Saves the zones and lines as the stream's next version (see saveScene for what is refused). */
  async saveScene(db: TenantDb, actor: Actor, input: SaveStreamSceneFields): Promise<StreamSceneView> {
    const streamId = requireId(input.streamId, 'input.streamId');
    const saved = await saveScene(db, actor, { ...input, streamId });
    return this.sceneView(db, streamId, saved);
  }

  private async sceneView(db: TenantDb, streamId: string, saved: SavedScene): Promise<StreamSceneView> {
    const author = saved.savedById
      ? await db.user.findUnique({ where: { id: saved.savedById }, select: { email: true } })
      : null;
    return {
      streamId,
      version: saved.version,
      zones: saved.regions.filter((region): region is Zone => region.kind === 'zone'),
      lines: saved.regions.filter((region): region is Tripwire => region.kind === 'line'),
      savedAt: saved.savedAt,
      savedBy: author?.email ?? null,
    };
  }

  private async find(db: TenantDb | TenantTx, streamId: string): Promise<Stream> {
    const stream = await db.stream.findUnique({ where: { id: requireId(streamId, 'streamId') } });
    if (!stream) throw notFound('Stream');
    return stream;
  }

  private async findTemplateId(tx: TenantTx, templateId: string): Promise<string> {
    const template = await tx.promptTemplate.findUnique({
      where: { id: requireId(templateId, 'input.templateId') },
      select: { id: true },
    });
    if (!template) throw notFound('Prompt template');
    return template.id;
  }

  /** Prisma errors as domain errors, a taken name said as such (the key is on nameInUse). */
  private async withNameErrors<T>(name: string | undefined, work: () => Promise<T>): Promise<T> {
    try {
      return await withPrismaErrors('stream', work);
    } catch (error) {
      if (error instanceof DomainError && error.reason === ErrorReason.DUPLICATE && name !== undefined) {
        throw conflict(`A stream named "${name}" already exists`, ErrorReason.DUPLICATE);
      }
      throw error;
    }
  }

  private checkSource(sourceUrl: string, kind?: Stream['kind'] | null) {
    try {
      return checkSourceUrl(sourceUrl, this.sourcePolicy, kind);
    } catch (error) {
      if (error instanceof SourceUrlError)
        throw badInput([{ field: 'input.sourceUrl', message: error.message }]);
      throw error;
    }
  }

  private checkFps(fps: number, tenant: Tenant): void {
    if (fps > tenant.maxFps) {
      throw badInput([
        { field: 'input.fps', message: `exceeds this tenant's quota of ${tenant.maxFps} fps` },
      ]);
    }
  }

  /**
   * The active-stream quota, checked as `streamId` starts: it counts every other stream that holds
   * or may take a sampler (ACTIVE, and ERROR while its worker retries), so a retrying stream keeps
   * its place and cannot come back over the quota.
   */
  private async checkActiveQuota(tx: TenantTx, tenantId: string, streamId: string): Promise<void> {
    const tenant = await this.loadTenant(tenantId);
    const sampled = await this.status.countSampled(tx, streamId);
    if (sampled >= tenant.maxActiveStreams) {
      throw conflict(
        `This tenant may have at most ${tenant.maxActiveStreams} active streams (retrying ones count too); pause or stop one first`,
        ErrorReason.QUOTA,
      );
    }
  }
}

function pickDefined<T extends object, K extends keyof T>(value: T, keys: K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (value[key] !== undefined) picked[key] = value[key];
  return picked;
}
