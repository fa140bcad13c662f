import type { Express, Request, Response } from 'express';
import type { Logger } from 'pino';
import { Permission } from '../auth/permissions';
import { badInput, DomainError, ErrorCode } from '../errors/domain-error';
import type { Services } from '../composition/create-services';
import type { ReportPdfPool } from '../reports/report-pdf-pool';
import { sendRouteError } from './http-error.mapper';
import { credentialOf, RequestAuthenticator } from './request-authenticator';

export interface ReportRouteDeps {
  services: Services;
  logger: Logger;
  /** The API's one admission path: credential, rate limit, permission, tenant. */
  authenticator: RequestAuthenticator;
  /** Renders the PDFs in worker threads, off this process's event loop. */
  pdfs: ReportPdfPool;
}

/** The metrics label of these routes (a fixed set: raw paths would create series without bound). */
export const REPORT_ROUTE = '/reports/:kind/:file';

const FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(json|pdf)$/i;

/** `?page=N` of an incident report: absent is the first page; anything but digits is bad input. */
function pageOf(query: unknown): number | undefined {
  if (query === undefined) return undefined;
  if (typeof query !== 'string' || !/^\d{1,6}$/.test(query))
    throw badInput([{ field: 'page', message: 'must be a whole number from 1' }]);
  return Number(query);
}

/**
 * Reports as downloads, for auditors and admins (AUDIT_READ):
 *
 *   GET /reports/incidents/<id>.json[?page=N]   GET /reports/incidents/<id>.pdf[?page=N]
 *   GET /reports/analyses/<id>.json             GET /reports/analyses/<id>.pdf
 *
 * An incident report carries its analyses 50 to a page (the first page unless `page` says); the
 * PDF of a page holds that page's analyses, and the PDF is rendered in a worker thread.
 * with `Authorization: Bearer <session token or API key>` (or `x-api-key`), counted against the same
 * per-credential rate limit as GraphQL. The report is built only within the caller's tenant: another
 * tenant's id is 404, as an unknown one. Errors come in GraphQL's error shape.
 */
export function registerReportRoutes(app: Express, deps: ReportRouteDeps): void {
  const { services, logger, authenticator, pdfs } = deps;

  app.get(REPORT_ROUTE, async (req: Request, res: Response) => {
    try {
      const { actor, db } = await authenticator.authenticate(credentialOf(req.headers), {
        clientAddress: req.ip ?? 'unknown',
        permission: Permission.AUDIT_READ,
      });

      const kind = String(req.params.kind);
      const file = FILE.exec(String(req.params.file));
      if (!file || (kind !== 'incidents' && kind !== 'analyses'))
        throw new DomainError(ErrorCode.NOT_FOUND, 'No such report');
      const [, id, format] = file as unknown as [string, string, string];
      const report =
        kind === 'incidents'
          ? await services.reports.incidentReport(db, actor.tenantId, id, pageOf(req.query.page))
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
        const pdf = await pdfs.render(report, await services.reports.frameImages(db, report));
        res.type('application/pdf').send(pdf);
      }
    } catch (error) {
      sendRouteError(res, error, logger, 'report request');
    }
  });
}
