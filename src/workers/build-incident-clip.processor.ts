import { UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';
import type { IncidentClips } from '../evidence/incident-clip';
import type { JobHandler } from '../jobs/job-queue';
import { ClipEncodeError } from '../media/clip-encoder';

/**
 * Builds a closed incident's evidence clip (queued when it closes), unless a current one exists.
 * An incident with no stored frame left is skipped; a missing font is a fault of the deployment,
 * which retrying does not mend.
 */
export function buildIncidentClipHandler(
  prisma: PrismaClient,
  clips: IncidentClips,
  logger: Logger,
): JobHandler<'buildIncidentClip'> {
  return {
    async run({ tenantId, incidentId }) {
      try {
        const clip = await clips.ensure(tenantDb(prisma, tenantId), incidentId);
        return clip ? { built: true, sha256: clip.sha256, frames: clip.frames } : { built: false };
      } catch (error) {
        if (error instanceof ClipEncodeError && error.code === 'FONT_MISSING')
          throw new UnrecoverableError(error.message);
        throw error;
      }
    },
    onFailed({ incidentId }, error, final) {
      logger[final ? 'error' : 'warn']({ incidentId, err: error, final }, 'incident clip build failed');
    },
  };
}
