import { createHash } from 'node:crypto';
import { zipSync, type Zippable } from 'fflate';
import { auditEventHash, canonicalAuditEncoding } from '../audit/audit-chain';
import type { AuditChainService } from '../audit/audit-chain.service';
import type { TenantDb } from '../db/tenant-scoped-db';
import { notFound } from '../errors/domain-error';
import { type IncidentClipRecord, IncidentClips } from '../evidence/incident-clip';
import type { AuditEvent } from '../generated/prisma/client';
import type { IncidentReport } from '../reports/report-format';
import { CLIP_URL_TTL_SECONDS, type FrameUrlSigner } from '../storage/frame-url';
import type { FrameStore } from '../storage/frame-store';
import { requireId } from './input-schemas';
import type { ReportService } from './report.service';

/** What the API shows of an incident's clip (GraphQL Incident.clip). */
export interface IncidentClipView {
  url: string;
  sha256: string;
  bytes: number;
  frames: number;
  builtAt: Date;
  /** When `url` stops working. */
  urlExpiresAt: Date;
}

/** Renders an incident report as PDF (the report module's renderer, passed in by the composition root). */
export type IncidentReportPdf = (db: TenantDb, report: IncidentReport) => Promise<Buffer>;

/** Audit events packaged per incident (a review item's lease renewals could otherwise grow without bound). */
export const MAX_PACKAGE_AUDIT_EVENTS = 1000;
export const EVIDENCE_FORMAT = 'vigil.evidence-package/1';

export interface EvidencePackage {
  fileName: string;
  zip: Buffer;
  manifest: EvidenceManifest;
}

export interface EvidenceManifest {
  format: string;
  incidentId: string;
  tenantId: string;
  generatedAt: string;
  files: { path: string; bytes: number; sha256: string; about: string }[];
  clip: { sha256: string; frames: number; builtAt: string } | null;
  reportContentSha256: string;
  auditChain: { ok: boolean; eventsChecked: number; headHash: string | null; reason: string | null };
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/**
 * Incidents' evidence as it travels: the clip (streamed to the console's player, linked from
 * partners' webhooks) and the evidence package an auditor downloads (a zip of the clip, the
 * keyframes, the report as JSON and PDF, the audit events of the incident and its review item with
 * what proves them against the tenant's chain, and a manifest with the sha256 of every file).
 */
export class EvidenceService {
  constructor(
    readonly clips: IncidentClips,
    private readonly signer: FrameUrlSigner,
    private readonly store: FrameStore,
    private readonly reports: ReportService,
    private readonly auditChain: AuditChainService,
    private readonly renderPdf: IncidentReportPdf,
  ) {}

  /** The incident's current clip (built now when missing or stale); NOT_FOUND when it has no frames to show. */
  async clip(db: TenantDb, incidentId: string): Promise<IncidentClipRecord> {
    const id = requireId(incidentId, 'incidentId');
    if (!(await db.incident.findUnique({ where: { id }, select: { id: true } }))) throw notFound('Incident');
    const clip = await this.clips.ensure(db, id);
    if (!clip) throw notFound('Incident clip (no stored frame is left)');
    return clip;
  }

  /** The clip's bytes; NOT_FOUND when the file is gone from the store. */
  async clipBytes(clip: IncidentClipRecord): Promise<Buffer> {
    return this.clips.read(clip).catch(() => {
      throw notFound('Incident clip');
    });
  }

  /** Incident.clip: the clip with a signed URL, or null when the incident has no stored frame. */
  async clipView(db: TenantDb, tenantId: string, incidentId: string): Promise<IncidentClipView | null> {
    const clip = await this.clips.ensure(db, incidentId);
    if (!clip) return null;
    const now = Date.now();
    return {
      url: this.signer.clipUrl(tenantId, incidentId, CLIP_URL_TTL_SECONDS, now),
      sha256: clip.sha256,
      bytes: clip.bytes,
      frames: clip.frames,
      builtAt: clip.builtAt,
      urlExpiresAt: new Date(Math.floor(now / 1000) * 1000 + CLIP_URL_TTL_SECONDS * 1000),
    };
  }

  async evidencePackage(db: TenantDb, tenantId: string, incidentId: string): Promise<EvidencePackage> {
    const id = requireId(incidentId, 'incidentId');
    const incident = await db.incident.findUnique({
      where: { id },
      select: { id: true, keyframeIds: true, reviewItem: { select: { id: true } } },
    });
    if (!incident) throw notFound('Incident');
    const report = await this.reports.incidentReport(db, tenantId, id);
    const [clip, pdf, keyframes, audit] = await Promise.all([
      this.clips.ensure(db, id),
      this.renderPdf(db, report),
      this.keyframes(db, incident.keyframeIds),
      this.auditProof(db, id, incident.reviewItem?.id ?? null),
    ]);
    const clipBytes = clip ? await this.clips.read(clip).catch(() => null) : null;

    const files: { path: string; data: Uint8Array; about: string; compress: boolean }[] = [];
    if (clip && clipBytes)
      files.push({
        path: 'clip.mp4',
        data: clipBytes,
        about: 'H.264 MP4 of the incident’s frames at their real pace, capture times burnt in',
        compress: false,
      });
    for (const frame of keyframes) files.push({ ...frame, compress: false });
    files.push(
      {
        path: 'report.json',
        data: utf8(JSON.stringify(report, null, 2)),
        about:
          'Chain-of-thought report (contentSha256: sha256 of its RFC 8785 canonical JSON without that field)',
        compress: true,
      },
      { path: 'report.pdf', data: pdf, about: 'The same report as PDF', compress: false },
      {
        path: 'audit/events.json',
        data: utf8(JSON.stringify(audit.events, null, 2)),
        about: 'Audit events of the incident and its review item, each with its chain proof',
        compress: true,
      },
      {
        path: 'audit/chain.json',
        data: utf8(JSON.stringify(audit.chain, null, 2)),
        about: 'The tenant’s audit chain verified when the package was made',
        compress: true,
      },
      { path: 'VERIFY.md', data: utf8(VERIFY_TEXT), about: 'How to check this package', compress: true },
    );

    const manifest: EvidenceManifest = {
      format: EVIDENCE_FORMAT,
      incidentId: id,
      tenantId,
      generatedAt: new Date().toISOString(),
      files: files.map((file) => ({
        path: file.path,
        bytes: file.data.length,
        sha256: sha256(file.data),
        about: file.about,
      })),
      clip: clip ? { sha256: clip.sha256, frames: clip.frames, builtAt: clip.builtAt.toISOString() } : null,
      reportContentSha256: report.contentSha256,
      auditChain: audit.chain.verification,
    };
    const entries: Zippable = {};
    for (const file of files) entries[file.path] = [file.data, { level: file.compress ? 6 : 0 }];
    entries['manifest.json'] = [utf8(JSON.stringify(manifest, null, 2)), { level: 6 }];
    const zip = zipSync(entries, { mtime: new Date() });
    return { fileName: `vigil-incident-${id}-evidence.zip`, zip: Buffer.from(zip), manifest };
  }

  private async keyframes(
    db: TenantDb,
    frameIds: string[],
  ): Promise<{ path: string; data: Uint8Array; about: string }[]> {
    const frames = await db.frame.findMany({
      where: { id: { in: frameIds } },
      orderBy: [{ capturedAt: 'asc' }, { sequence: 'asc' }],
      select: { id: true, storageKey: true, capturedAt: true, sha256: true },
    });
    const found = await Promise.all(
      frames.map(async (frame, index) => {
        const jpeg = await this.store.get(frame.storageKey).catch(() => null);
        if (!jpeg) return null;
        const at = frame.capturedAt.toISOString().replace(/[:.]/g, '-');
        return {
          path: `keyframes/${String(index + 1).padStart(2, '0')}-${at}-${frame.id}.jpg`,
          data: jpeg,
          about: `Keyframe captured ${frame.capturedAt.toISOString()} (stored sha256 ${frame.sha256})`,
        };
      }),
    );
    return found.filter((frame) => frame !== null);
  }

  private async auditProof(db: TenantDb, incidentId: string, reviewItemId: string | null) {
    const events = await db.auditEvent.findMany({
      where: {
        OR: [
          { entityType: { in: ['Incident', 'IncidentClip'] }, entityId: incidentId },
          ...(reviewItemId ? [{ entityType: 'ReviewItem', entityId: reviewItemId }] : []),
        ],
      },
      orderBy: [{ chainIndex: 'asc' }, { createdAt: 'asc' }],
      take: MAX_PACKAGE_AUDIT_EVENTS,
    });
    // Each event's successor in the chain: its prevHash must be this event's hash.
    const successors = await db.auditEvent.findMany({
      where: {
        chainIndex: {
          in: events.flatMap((event) => (event.chainIndex === null ? [] : [event.chainIndex + 1])),
        },
      },
      select: { chainIndex: true, prevHash: true, hash: true },
    });
    const successorOf = new Map(successors.map((row) => [row.chainIndex, row]));
    const verification = await this.auditChain.verify(db);
    return {
      events: events.map((event) =>
        proofOf(
          event,
          successorOf.get((event.chainIndex ?? -2) + 1) ?? null,
          this.auditChain.hashMatches(event),
        ),
      ),
      chain: {
        verification: {
          ok: verification.ok,
          eventsChecked: verification.eventsChecked,
          headHash: verification.headHash,
          reason: verification.reason,
        },
        verifiedAt: verification.verifiedAt.toISOString(),
        firstBrokenChainIndex: verification.firstBrokenChainIndex,
        truncated: events.length === MAX_PACKAGE_AUDIT_EVENTS,
      },
    };
  }
}

function proofOf(
  event: AuditEvent,
  successor: { chainIndex: number | null; prevHash: string | null; hash: string | null } | null,
  /** Whether Vigil, holding the MAC keys, recomputed the event's hash (keyed events only). */
  keyedMatches: boolean,
) {
  const chained = event.chainIndex !== null;
  const fields = {
    tenantId: event.tenantId,
    chainIndex: event.chainIndex ?? 0,
    prevHash: event.prevHash,
    createdAt: event.createdAt,
    actorType: event.actorType,
    actorId: event.actorId,
    action: event.action,
    entityType: event.entityType,
    entityId: event.entityId,
    data: event.data,
    macKeyId: event.macKeyId,
  };
  // A keyed hash needs the key, which never leaves Vigil: the auditor checks the links and anchors.
  const keyed = event.macKeyId !== null;
  const recomputed = chained && !keyed ? auditEventHash(fields) : null;
  return {
    id: event.id,
    chainIndex: event.chainIndex,
    createdAt: event.createdAt.toISOString(),
    actorType: event.actorType,
    actorId: event.actorId,
    action: event.action,
    entityType: event.entityType,
    entityId: event.entityId,
    data: event.data,
    prevHash: event.prevHash,
    hash: event.hash,
    proof: {
      canonicalEncoding: chained ? canonicalAuditEncoding(fields) : null,
      hashAlgorithm: keyed ? 'HMAC-SHA256' : 'sha256',
      macKeyId: event.macKeyId,
      recomputedHash: recomputed,
      hashMatches: chained && (keyed ? keyedMatches : recomputed === event.hash),
      next: successor
        ? { chainIndex: successor.chainIndex, prevHash: successor.prevHash, hash: successor.hash }
        : null,
      linkedToNext: successor ? successor.prevHash === event.hash : null,
    },
  };
}

const VERIFY_TEXT = `# Checking this evidence package

1. Files. \`manifest.json\` lists every other file with its size and sha256. Check each, e.g.
   \`sha256sum clip.mp4\`, and compare with \`files[].sha256\`.

2. The clip. Its sha256 is also recorded in the tamper-evident audit chain: the event
   \`incident.clip_built\` in \`audit/events.json\` carries \`data.sha256\`, which must equal the sha256 of
   \`clip.mp4\` (the latest such event, if the clip was rebuilt after more firings).

3. The report. \`report.json\`'s \`contentSha256\` is sha256 (hex) over the RFC 8785 canonical JSON of
   the report without that field.

4. The audit events. Each event in \`audit/events.json\` has \`hash\` = sha256 (hex) over the RFC 8785
   canonical JSON of { tenantId, chainIndex, prevHash, createdAt (ISO 8601, UTC, milliseconds),
   actorType, actorId, action, entityType, entityId, data }. \`proof.canonicalEncoding\` is that exact
   text: \`printf '%s' "<canonicalEncoding>" | sha256sum\` gives \`hash\`. \`prevHash\` is the hash of the
   tenant's previous event (chainIndex - 1), and \`proof.next.prevHash\` (the following event's)
   must equal this event's \`hash\`: a changed, removed or reordered event breaks one of these links.
   A keyed event (\`proof.macKeyId\` set, \`proof.hashAlgorithm\` HMAC-SHA256) is hashed with a key
   that never leaves Vigil, over the same JSON with \`macKeyId\` added: \`proof.recomputedHash\` is
   then empty and \`proof.hashMatches\` is Vigil's own check. Its links check as above, and the chain
   is tied to the signed anchors of its head (GraphQL \`auditAnchors\`, checked with \`auditAnchorKey\`).

5. The whole chain. \`audit/chain.json\` records the verification of the tenant's entire chain when
   the package was made (every event's hash and link), with the chain's head hash at that moment.
   An auditor can verify it again at any time in the console or with the GraphQL query
   \`verifyAuditChain\`; the head hash then is a later event whose chain contains this one.
`;
