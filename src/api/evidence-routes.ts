import type { Express, Request, Response } from 'express';
import type { Logger } from 'pino';
import { Permission } from '../auth/permissions';
import type { Services } from '../composition/create-services';
import { tenantDb } from '../db/tenant-scoped-db';
import type { PrismaClient } from '../db/prisma-client';
import { sendRouteError } from './http-error.mapper';
import { credentialOf, RequestAuthenticator } from './request-authenticator';

export interface EvidenceRouteDeps {
  services: Services;
  prisma: PrismaClient;
  logger: Logger;
  /** The API's one admission path: credential, rate limit, permission, tenant. */
  authenticator: RequestAuthenticator;
}

/** The metrics labels of these routes (a fixed set: raw paths would create series without bound). */
export const CLIP_ROUTE = '/incidents/:incidentId/clip.mp4';
export const EVIDENCE_PACKAGE_ROUTE = '/incidents/:incidentId/evidence.zip';

/**
 * Incidents' evidence over HTTP:
 *
 *   GET /incidents/<id>/clip.mp4      the clip, with HTTP Range requests (a <video> element seeks
 *                                     with them); by signed URL (Incident.clip.url, webhooks' clip.url)
 *                                     or with a credential of any role (INCIDENTS_READ)
 *   GET /incidents/<id>/evidence.zip  the evidence package, for auditors and admins (AUDIT_READ)
 *
 * A credential is `Authorization: Bearer <session token or API key>` (or `x-api-key`), counted
 * against the same rate limit as GraphQL. Both build a missing or stale clip first (seconds). Every
 * look-up is within the tenant that was proven: another tenant's id is 404, as an unknown one; a
 * malformed id is 400. Errors come in GraphQL's error shape.
 */
export function registerEvidenceRoutes(app: Express, deps: EvidenceRouteDeps): void {
  const { services, prisma, logger, authenticator } = deps;

  app.get(CLIP_ROUTE, async (req: Request, res: Response) => {
    const incidentId = String(req.params.incidentId);
    try {
      // A signed URL is not counted against a rate limit: it was handed out to a caller who was.
      const signed = services.windows.signer.verifyClip(incidentId, req.query as Record<string, unknown>);
      const db = signed
        ? tenantDb(prisma, signed.tenantId)
        : (
            await authenticator.authenticate(credentialOf(req.headers), {
              clientAddress: req.ip ?? 'unknown',
              permission: Permission.INCIDENTS_READ,
              missing: 'A signed URL or a credential is required',
            })
          ).db;
      const clip = await services.evidence.clip(db, incidentId);
      const mp4 = await services.evidence.clipBytes(clip);
      sendRanged(req, res, mp4, `"${clip.sha256}"`);
    } catch (error) {
      sendRouteError(res, error, logger, 'clip request');
    }
  });

  app.get(EVIDENCE_PACKAGE_ROUTE, async (req: Request, res: Response) => {
    try {
      const { actor, db } = await authenticator.authenticate(credentialOf(req.headers), {
        clientAddress: req.ip ?? 'unknown',
        permission: Permission.AUDIT_READ,
      });
      const evidence = await services.evidence.evidencePackage(
        db,
        actor.tenantId,
        String(req.params.incidentId),
      );
      res
        .set({
          'content-disposition': `attachment; filename="${evidence.fileName}"`,
          'cache-control': 'private, no-store',
          'x-content-type-options': 'nosniff',
        })
        .type('application/zip')
        .send(evidence.zip);
    } catch (error) {
      sendRouteError(res, error, logger, 'evidence package request');
    }
  });
}

/**
 * The body, or the one byte range asked for (206), as RFC 9110 has it: a range not satisfiable is
 * 416 with the size; several ranges, a malformed header or an If-Range that no longer matches get
 * the whole body (200), which every client accepts.
 */
function sendRanged(req: Request, res: Response, body: Buffer, etag: string): void {
  res.set({
    'accept-ranges': 'bytes',
    etag,
    'cache-control': 'private, max-age=900',
    'content-disposition': 'inline',
    'x-content-type-options': 'nosniff',
  });
  res.type('video/mp4');
  const ifRange = req.headers['if-range'];
  const ranges = ifRange && ifRange !== etag ? undefined : req.range(body.length);
  if (ranges === -1) {
    res.status(416).set('content-range', `bytes */${body.length}`).end();
    return;
  }
  if (ranges === undefined || ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) {
    res.status(200).send(body);
    return;
  }
  const { start, end } = ranges[0]!;
  res
    .status(206)
    .set('content-range', `bytes ${start}-${end}/${body.length}`)
    .send(body.subarray(start, end + 1));
}
