import type Redis from 'ioredis';
import type { TenantDb } from '../db/tenant-scoped-db';
import { notFound } from '../errors/domain-error';
import type { Analysis, AnalysisStatus } from '../generated/prisma/client';
import { requireId } from './input-schemas';
import { Connection, PageArgs, paginate } from './pagination';
import { TOPICS } from '../pubsub/topics';

/**
 * Analyses as the API shows them, newest first (ids are UUIDv7, so id order is start order).
 * Written by the analysis worker; the API only reads them.
 */
export class AnalysisService {
  constructor(private readonly redis: Redis) {}

  /**
   * The model's reasoning: the stored text once the analysis has finished; while it runs, what
   * the current attempt has produced so far (kept in Redis by the worker, see ReasoningPublisher).
   */
  async reasoningOf(
    tenantId: string,
    analysis: Pick<Analysis, 'id' | 'status' | 'reasoning'>,
  ): Promise<string> {
    if (analysis.status !== 'RUNNING' || analysis.reasoning) return analysis.reasoning;
    return (await this.redis.get(TOPICS.analysisReasoningSoFar(tenantId, analysis.id))) ?? '';
  }

  async get(db: TenantDb, analysisId: string): Promise<Analysis> {
    const analysis = await db.analysis.findUnique({ where: { id: requireId(analysisId, 'analysisId') } });
    if (!analysis) throw notFound('Analysis');
    return analysis;
  }

  /** The analysis, or null when it is gone or another tenant's. */
  find(db: TenantDb, analysisId: string): Promise<Analysis | null> {
    return db.analysis.findUnique({ where: { id: analysisId } });
  }

  listForStream(
    db: TenantDb,
    streamId: string,
    page: PageArgs,
    status?: AnalysisStatus | null,
  ): Promise<Connection<Analysis>> {
    const id = requireId(streamId, 'streamId');
    return paginate(
      page,
      (query) =>
        db.analysis.findMany({
          ...query,
          where: { ...query.where, streamId: id, ...(status ? { status } : {}) },
        }),
      'desc',
    );
  }
}
