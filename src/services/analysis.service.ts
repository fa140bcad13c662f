import type { TenantDb } from '../db/tenant-scoped-db';
import { notFound } from '../errors/domain-error';
import type { Analysis, AnalysisStatus } from '../generated/prisma/client';
import { requireId } from './input-schemas';
import { Connection, PageArgs, paginate } from './pagination';

/**
 * Analyses as the API shows them, newest first (ids are UUIDv7, so id order is start order).
 * Written by the analysis worker; the API only reads them.
 */
export class AnalysisService {
  async get(db: TenantDb, analysisId: string): Promise<Analysis> {
    const analysis = await db.analysis.findUnique({ where: { id: requireId(analysisId, 'analysisId') } });
    if (!analysis) throw notFound('Analysis');
    return analysis;
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
