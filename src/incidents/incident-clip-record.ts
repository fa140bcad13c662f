import { recordAudit, systemActor } from '../audit/audit-log';
import type { TenantDb } from '../db/tenant-scoped-db';

/** A built evidence clip as it is recorded on its incident. */
export interface BuiltIncidentClip {
  storageKey: string;
  sha256: string;
  bytes: number;
  frames: number;
  builtAt: Date;
  /** The incident's firings the clip covers. */
  firings: number;
}

/**
 * Records an incident's evidence clip (its clip* columns) with the audit event that anchors the
 * clip's sha256 in the tenant's tamper-evident chain, in one transaction. The clip builder
 * (src/evidence) is its only caller; the incident's other columns stay with incidents.ts.
 */
export async function recordIncidentClip(
  db: TenantDb,
  tenantId: string,
  incidentId: string,
  clip: BuiltIncidentClip,
): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.incident.update({
      where: { id: incidentId },
      data: {
        clipStorageKey: clip.storageKey,
        clipSha256: clip.sha256,
        clipBytes: clip.bytes,
        clipFrames: clip.frames,
        clipBuiltAt: clip.builtAt,
        clipFirings: clip.firings,
      },
    });
    // Its own entity type: a clip is derived evidence, built whenever first asked for, so it must
    // not change what the incident's report asserts (the report lists the incident's own events).
    await recordAudit(tx, systemActor(tenantId, 'clip-builder'), {
      action: 'incident.clip_built',
      entityType: 'IncidentClip',
      entityId: incidentId,
      data: { sha256: clip.sha256, bytes: clip.bytes, frames: clip.frames, firings: clip.firings },
    });
  });
}

/**
 * Forgets an incident's clip once retention deleted its file: the clip columns are cleared with an
 * audit event (as retention's), so the chain says when and why the clip went. A later request finds
 * no frames left to build one from.
 */
export async function forgetIncidentClip(
  db: TenantDb,
  tenantId: string,
  incident: { id: string; clipSha256: string | null },
): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.incident.update({
      where: { id: incident.id },
      data: {
        clipStorageKey: null,
        clipSha256: null,
        clipBytes: null,
        clipFrames: null,
        clipBuiltAt: null,
        clipFirings: null,
      },
    });
    await recordAudit(tx, systemActor(tenantId, 'purge-old-frames'), {
      action: 'incident.clip_purged',
      entityType: 'IncidentClip',
      entityId: incident.id,
      data: { sha256: incident.clipSha256 },
    });
  });
}
