import type { JobQueue } from '../jobs/job-queue';
import { SHARED_CLIP_URL_TTL_SECONDS, type FrameUrlSigner } from '../storage/frame-url';
import type { WebhookEventSink } from '../webhooks/webhook-events';

/*
 * Incidents' evidence follows their events. Wrapped around the webhook sink that the owner of
 * incidents announces openings and closings through (after commit), this
 *   - queues the build of an incident's clip when it closes (a worker then builds it, so the first
 *     viewer does not wait), whatever closed it: quiet, decided or superseded;
 *   - gives partners a signed link to the clip in incident.opened / incident.closed (`clip.url`,
 *     valid SHARED_CLIP_URL_TTL_SECONDS; the clip is built on first request if it is not yet),
 *     when the deployment says where partners reach the API (PUBLIC_URL) and signs with a key
 *     shared by every API process (FRAME_URL_SECRET).
 */

export interface IncidentEvidenceEventsDeps {
  jobs: JobQueue;
  /** Absent (or publicUrl empty): no link in the payload. */
  signer?: FrameUrlSigner | null;
  /** The API as partners reach it, e.g. https://vigil.example.com. */
  publicUrl?: string;
}

/** Queues the clip build of an incident that closed with `firings` firings (idempotent per count). */
export function queueIncidentClip(
  jobs: JobQueue,
  tenantId: string,
  incidentId: string,
  firings: number,
): Promise<void> {
  return jobs.add('buildIncidentClip', { tenantId, incidentId, firings });
}

export function withIncidentEvidence(
  sink: WebhookEventSink,
  deps: IncidentEvidenceEventsDeps,
): WebhookEventSink {
  const base = deps.publicUrl ? deps.publicUrl.replace(/\/+$/, '') : '';
  return async (tenantId, event, eventKey, payload) => {
    if (event !== 'incident.opened' && event !== 'incident.closed') {
      return sink(tenantId, event, eventKey, payload);
    }
    const { incidentId, firings } = payload as { incidentId?: unknown; firings?: unknown };
    if (typeof incidentId !== 'string') return sink(tenantId, event, eventKey, payload);
    const now = Date.now();
    const withLink =
      base && deps.signer
        ? {
            ...payload,
            clip: {
              url: `${base}${deps.signer.clipUrl(tenantId, incidentId, SHARED_CLIP_URL_TTL_SECONDS, now)}`,
              expiresAt: new Date(now + SHARED_CLIP_URL_TTL_SECONDS * 1000).toISOString(),
            },
          }
        : payload;
    const sent = await sink(tenantId, event, eventKey, withLink);
    if (event === 'incident.closed' && typeof firings === 'number') {
      await queueIncidentClip(deps.jobs, tenantId, incidentId, firings);
    }
    return sent;
  };
}
