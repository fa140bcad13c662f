import { randomUUID } from 'node:crypto';
import type { TenantDb } from '../db/tenant-scoped-db';

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

export type WindowClaim =
  | { held: true; lease: WindowLease }
  /** Another job holds the window: ask again after `retryInMs`. */
  | { held: false; busy: true; retryInMs: number }
  /** The window is no longer waiting for analysis (finished, failed, deleted). */
  | { held: false; busy: false };

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

/**
 * Claims `windowId` for this job: a QUEUED window, or a RUNNING one whose lease is missing or has
 * run out, becomes RUNNING under a new token (counted as an attempt). One statement when free.
 */
export async function claimWindow(
  db: TenantDb,
  windowId: string,
  options: WindowLeaseOptions = {},
): Promise<WindowClaim> {
  const leaseMs = options.leaseMs ?? WINDOW_LEASE_MS;
  const token = randomUUID();
  const now = new Date();
  const { count } = await db.window.updateMany({
    where: {
      id: windowId,
      OR: [
        { status: 'QUEUED' },
        { status: 'RUNNING', OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }] },
      ],
    },
    data: {
      status: 'RUNNING',
      attempts: { increment: 1 },
      leaseToken: token,
      leaseUntil: new Date(now.getTime() + leaseMs),
    },
  });
  if (count === 0) {
    const current = await db.window.findUnique({
      where: { id: windowId },
      select: { status: true, leaseUntil: true },
    });
    if (current?.status !== 'RUNNING' && current?.status !== 'QUEUED') return { held: false, busy: false };
    const left = (current.leaseUntil?.getTime() ?? now.getTime()) - Date.now();
    // A second past the expiry: the holder has had its last chance to renew.
    return { held: false, busy: true, retryInMs: Math.max(0, left) + 1_000 };
  }
  return { held: true, lease: holdLease(db, windowId, token, leaseMs, options) };
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
