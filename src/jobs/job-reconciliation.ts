/**
 * Helpers for reconcilers: the owners of work whose truth is in PostgreSQL find what should have a
 * job, and queue it again where Redis has none (JobQueue.restore), after Redis lost its data.
 */

/**
 * How far back a reconciler looks for work whose job may be lost. Work older than this that never
 * ran is left to people (it is visible in its rows); this bounds the cost of every run.
 */
export const LOST_JOB_LOOKBACK_MS = 24 * 3_600_000;

const PAGE = 500;

/**
 * Pages through `find` (the rows after an id, by id) and restores the job of each; answers
 * how many were queued again.
 */
export async function restoreEach<Row extends { id: string }>(
  find: (after: string | undefined, take: number) => Promise<Row[]>,
  restore: (row: Row) => Promise<boolean>,
): Promise<number> {
  let restored = 0;
  let after: string | undefined;
  for (;;) {
    const page = await find(after, PAGE);
    for (const row of page) if (await restore(row)) restored += 1;
    if (page.length < PAGE) return restored;
    after = page.at(-1)!.id;
  }
}
