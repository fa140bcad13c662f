import { randomUUID } from 'node:crypto';
import { type TenantDb, tenantIdOf } from '../db/tenant-scoped-db';
import { Prisma } from '../generated/prisma/client';
import type { FrameFacts } from './analysis-inputs';

/**
 * One job at a time analyses a window, whatever Redis holds. The queue's job id keeps a window's
 * job single while Redis keeps its data; when Redis loses it, the reconciler queues again every
 * window PostgreSQL says is QUEUED or RUNNING, including those a live job is still analysing. The
 * window row therefore carries a lease: the job that claims it marks it RUNNING with a token and
 * an expiry, renews it while it works, and any other job for the window waits until the window is
 * finished (then has nothing to do) or the lease has run out (its holder died: it takes over).
 *
 * Expiries are written with the worker's clock: workers' clocks must agree to well within the
 * lease (seconds against LEASE_MS).
 */

/** How long a claim lasts unless renewed (by default: half the analysis queue's 60 s job lock). */
export const WINDOW_LEASE_MS = 30_000;

/**
 * The lease for a queue whose job lock lasts `jobLockMs`: half of it. When the queue hands a dead
 * worker's job to another (its lock expired), the window's lease has run out too, so the job is
 * taken over at once instead of waiting for the lease.
 */
export function windowLeaseFor(jobLockMs: number): number {
  return Math.max(1, Math.floor(jobLockMs / 2));
}

/**
 * What the analysis of a window needs to know of it, read by the statement that claims it: its
 * frames, its stream's name, zones-and-lines version and template's active version, and what the
 * model is told of the stream's recent past (the latest finished analysis's result, the open
 * incident).
 */
export interface ClaimedWindow {
  id: string;
  streamId: string;
  frameIds: string[];
  /** The rows of its frames that still exist, in the window's order. */
  frames: FrameFacts[];
  stream: { name: string; sceneVersion: number; template: { activeVersionId: string | null } | null };
  previousResult: Prisma.JsonValue | null;
  openIncident: { summary: string; severity: string | null; startAt: Date } | null;
}

export type WindowClaim =
  | { held: true; lease: WindowLease; window: ClaimedWindow }
  /** Another job holds the window: ask again after `retryInMs`. */
  | { held: false; busy: true; retryInMs: number }
  /** The window is no longer waiting for analysis (finished, failed: its status), or is gone (null). */
  | { held: false; busy: false; status: string | null };

export interface WindowLease {
  /** Aborted when a renewal finds the lease taken over: the holder stops asking the node. */
  readonly signal: AbortSignal;
  /** Stops renewing; with `release`, lets another job claim the window at once (after a failed attempt). */
  end(options?: { release: boolean }): Promise<void>;
}

export interface WindowLeaseOptions {
  leaseMs?: number;
  /** A third of the lease by default, so two renewals can fail before it runs out. */
  renewEveryMs?: number;
  onRenewError?: (error: unknown) => void;
}

/** A claimed window's row as the claim statement returns it. */
interface ClaimRow {
  id: string;
  streamId: string;
  frameIds: string[];
  frames: (Omit<FrameFacts, 'capturedAt'> & { capturedAt: string })[] | null;
  streamName: string;
  sceneVersion: number;
  templateId: string | null;
  activeVersionId: string | null;
  previousResult: Prisma.JsonValue | null;
  incidentSummary: string | null;
  incidentSeverity: string | null;
  incidentStartAt: Date | null;
}

/**
 * Claims `windowId` for this job: a QUEUED window, or a RUNNING one whose lease is missing or has
 * run out, becomes RUNNING under a new token (counted as an attempt). One statement when free: the
 * claim returns what the analysis needs of the window (ClaimedWindow), so that nothing else is read
 * before the frames. Written in SQL because Prisma would take five statements for the same (the
 * update, then the stream, its template, the latest analysis and the open incident, one each);
 * every table is filtered by the scoped client's tenant.
 */
export async function claimWindow(
  db: TenantDb,
  windowId: string,
  options: WindowLeaseOptions = {},
): Promise<WindowClaim> {
  const leaseMs = options.leaseMs ?? WINDOW_LEASE_MS;
  const tenantId = tenantIdOf(db);
  const token = randomUUID();
  const now = new Date();
  const until = new Date(now.getTime() + leaseMs);
  const rows = await db.$queryRaw<ClaimRow[]>(Prisma.sql`
    WITH claimed AS (
      UPDATE "Window" AS w
      SET "status" = 'RUNNING', "attempts" = w."attempts" + 1, "leaseToken" = ${token}::uuid,
          "leaseUntil" = ${until}, "updatedAt" = ${now}
      FROM "Stream" AS s
      WHERE w."id" = ${windowId}::uuid AND w."tenantId" = ${tenantId}::uuid
        AND s."tenantId" = w."tenantId" AND s."id" = w."streamId"
        AND (w."status" = 'QUEUED'
             OR (w."status" = 'RUNNING' AND (w."leaseUntil" IS NULL OR w."leaseUntil" < ${now})))
      RETURNING w."id", w."tenantId", w."streamId", w."frameIds", s."name" AS "streamName",
                s."sceneVersion", s."templateId"
    )
    SELECT c."id"::text, c."streamId"::text, c."frameIds"::text[], c."streamName", c."sceneVersion",
           c."templateId"::text, t."activeVersionId"::text, previous."result" AS "previousResult",
           incident."summary" AS "incidentSummary", incident."severity" AS "incidentSeverity",
           incident."startAt" AS "incidentStartAt",
           (SELECT json_agg(json_build_object(
                     'id', f."id", 'storageKey', f."storageKey",
                     'capturedAt', to_char(f."capturedAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                     'skippedBefore', f."skippedBefore", 'width', f."width", 'height', f."height")
                   ORDER BY u.n)
            FROM unnest(c."frameIds") WITH ORDINALITY AS u(id, n)
            JOIN "Frame" AS f ON f."tenantId" = c."tenantId" AND f."id" = u.id) AS "frames"
    FROM claimed AS c
    LEFT JOIN "PromptTemplate" AS t ON t."tenantId" = c."tenantId" AND t."id" = c."templateId"
    LEFT JOIN LATERAL (
      SELECT a."result" FROM "Analysis" AS a
      WHERE a."tenantId" = c."tenantId" AND a."streamId" = c."streamId"
        AND a."status" IN ('DONE', 'DEGRADED', 'GATED') AND a."windowId" <> c."id"
      ORDER BY a."completedAt" DESC LIMIT 1
    ) AS previous ON true
    LEFT JOIN LATERAL (
      SELECT i."summary", i."severity", i."startAt" FROM "Incident" AS i
      WHERE i."tenantId" = c."tenantId" AND i."streamId" = c."streamId" AND i."status" = 'OPEN'
      ORDER BY i."lastFiredAt" DESC LIMIT 1
    ) AS incident ON true`);
  const row = rows[0];
  if (!row) {
    const current = await db.window.findUnique({
      where: { id: windowId },
      select: { status: true, leaseUntil: true },
    });
    if (current?.status !== 'RUNNING' && current?.status !== 'QUEUED') {
      return { held: false, busy: false, status: current?.status ?? null };
    }
    const left = (current.leaseUntil?.getTime() ?? now.getTime()) - Date.now();
    // A second past the expiry: the holder has had its last chance to renew.
    return { held: false, busy: true, retryInMs: Math.max(0, left) + 1_000 };
  }
  return {
    held: true,
    lease: holdLease(db, windowId, token, leaseMs, options),
    window: {
      id: row.id,
      streamId: row.streamId,
      frameIds: row.frameIds,
      frames: (row.frames ?? []).map((frame) => ({ ...frame, capturedAt: new Date(frame.capturedAt) })),
      stream: {
        name: row.streamName,
        sceneVersion: row.sceneVersion,
        template: row.templateId === null ? null : { activeVersionId: row.activeVersionId },
      },
      previousResult: row.previousResult,
      openIncident:
        row.incidentStartAt === null
          ? null
          : {
              summary: row.incidentSummary ?? '',
              severity: row.incidentSeverity,
              startAt: row.incidentStartAt,
            },
    },
  };
}

function holdLease(
  db: TenantDb,
  windowId: string,
  token: string,
  leaseMs: number,
  options: WindowLeaseOptions,
): WindowLease {
  const lost = new AbortController();
  const renew = async (): Promise<void> => {
    const { count } = await db.window.updateMany({
      where: { id: windowId, leaseToken: token, status: 'RUNNING' },
      data: { leaseUntil: new Date(Date.now() + leaseMs) },
    });
    // Finished (by this job, between ticks) or taken over after the lease ran out.
    if (count === 0) {
      clearInterval(timer);
      lost.abort(new Error('the window lease was lost: another job analyses this window'));
    }
  };
  const timer = setInterval(
    () => {
      renew().catch((error: unknown) => options.onRenewError?.(error));
    },
    options.renewEveryMs ?? Math.max(1, Math.floor(leaseMs / 3)),
  );
  timer.unref();
  return {
    signal: lost.signal,
    async end({ release } = { release: false }) {
      clearInterval(timer);
      if (!release) return;
      await db.window.updateMany({
        where: { id: windowId, leaseToken: token },
        data: { leaseToken: null, leaseUntil: null },
      });
    },
  };
}
