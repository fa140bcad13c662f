import type { Express, Request, Response } from 'express';
import type { Logger } from 'pino';
import { hasPermission, Permission } from '../auth/permissions';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';
import { DomainError, ErrorCode } from '../errors/domain-error';
import type { Services } from '../composition/create-services';
import { renderReportPdf } from '../reports/report-pdf';

export interface ReportRouteDeps {
  prisma: PrismaClient;
  services: Services;
  logger: Logger;
  /** Reads the request's bearer credential exactly as the API's other routes do (app.ts). */
  credentialOf: (req: Request) => string | undefined;
}

/** The metrics label of these routes (a fixed set: raw paths would create series without bound). */
export const REPORT_ROUTE = '/reports/:kind/:file';

const FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(json|pdf)$/i;
const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.RATE_LIMITED]: 429,
};

/**
 * Chain-of-thought reports as downloads, for auditors and admins (AUDIT_READ):
 *
 *   GET /reports/incidents/<id>.json   GET /reports/incidents/<id>.pdf
 *   GET /reports/analyses/<id>.json    GET /reports/analyses/<id>.pdf
 *
 * with `Authorization: Bearer <session token or API key>` (or `x-api-key`), counted against the same
 * per-credential rate limit as GraphQL. The report is built only within the caller's tenant: another
 * tenant's id is 404, as an unknown one. Errors come in GraphQL's error shape.
 */
export function registerReportRoutes(app: Express, deps: ReportRouteDeps): void {
  const { prisma, services, logger, credentialOf } = deps;

  app.get(REPORT_ROUTE, async (req: Request, res: Response) => {
    try {
      const credential = credentialOf(req);
      if (!credential) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'A credential is required');
      const actor = await services.auth.authenticate(credential);
      if (!hasPermission(actor, Permission.AUDIT_READ))
        throw new DomainError(ErrorCode.FORBIDDEN, 'Not allowed');
      await (actor.kind === 'apiKey'
        ? services.rateLimits.consumeApiKey(actor.id)
        : services.rateLimits.consumeSession(actor.sessionId ?? actor.id));

      const kind = String(req.params.kind);
      const file = FILE.exec(String(req.params.file));
      if (!file || (kind !== 'incidents' && kind !== 'analyses'))
        throw new DomainError(ErrorCode.NOT_FOUND, 'No such report');
      const [, id, format] = file as unknown as [string, string, string];
      const db = tenantDb(prisma, actor.tenantId);
      const report =
        kind === 'incidents'
          ? await services.reports.incidentReport(db, actor.tenantId, id)
          : await services.reports.analysisReport(db, actor.tenantId, id);
      const name = `vigil-${kind === 'incidents' ? 'incident' : 'analysis'}-${id.toLowerCase()}.${format.toLowerCase()}`;
      res.set({
        'content-disposition': `attachment; filename="${name}"`,
        'cache-control': 'private, no-store',
        'x-content-type-options': 'nosniff',
      });
      if (format.toLowerCase() === 'json') {
        res.type('application/json').send(JSON.stringify(report, null, 2));
      } else {
        const pdf = await renderReportPdf(report, await services.reports.frameImages(db, report));
        res.type('application/pdf').send(pdf);
      }
    } catch (error) {
      if (!(error instanceof DomainError)) {
        logger.error({ err: error }, 'report request failed');
        return sendError(res, 500, ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error');
      }
      if (error.details.retryAfterSeconds) res.set('retry-after', String(error.details.retryAfterSeconds));
      sendError(res, STATUS[error.code] ?? 400, error.code, error.message);
    }
  });
}

function sendError(res: Response, status: number, code: ErrorCode, message: string): void {
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}
