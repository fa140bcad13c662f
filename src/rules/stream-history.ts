import type Redis from 'ioredis';
import type { TenantDb } from '../db/tenant-scoped-db';
import { factsOf, MAX_HISTORY, type ResultFacts } from './rule-evaluator';

/**
 * The temporal state of the rules engine: per stream, the compact facts of its most recent results
 * (a Redis sorted set scored by the window's end, capped at MAX_HISTORY + 1 entries). Redis is only a
 * cache here: when the key is missing (evicted, flushed, expired) it is rebuilt from the stream's
 * analyses in PostgreSQL (RULE_INPUT_STATUSES), so the decisions are the same either way.
 *
 * Facts kept here carry no reasoning (see ResultFacts.reasoning).
 */
/**
 * Analyses the rules read: finished ones, including windows the GPU gate kept back (their local
 * result still says what was seen, so appears/disappears and other temporal rules see every window).
 */
export const RULE_INPUT_STATUSES = ['DONE', 'DEGRADED', 'GATED'] as const;

export const HISTORY_TTL_SECONDS = 7 * 24 * 3600;

export const historyKey = (tenantId: string, streamId: string): string =>
  `vigil:t:${tenantId}:stream:${streamId}:rules-history`;

/** The facts of the stream's results before `beforeEndAt`, oldest first, from PostgreSQL. */
export async function loadHistoryFromDb(
  db: TenantDb,
  streamId: string,
  options: { beforeEndAt?: Date; afterEndAt?: Date; limit: number; keepReasoning?: boolean },
): Promise<ResultFacts[]> {
  const rows = await db.analysis.findMany({
    where: {
      streamId,
      status: { in: [...RULE_INPUT_STATUSES] },
      window: {
        endAt: {
          ...(options.beforeEndAt ? { lt: options.beforeEndAt } : {}),
          ...(options.afterEndAt ? { gte: options.afterEndAt } : {}),
        },
      },
    },
    // A window analysed twice (a DEGRADED local result, then the GPU's) counts once: the newest.
    orderBy: [{ window: { endAt: 'desc' } }, { completedAt: 'desc' }],
    take: options.limit * 2,
    select: {
      id: true,
      windowId: true,
      result: true,
      reasoning: options.keepReasoning === true,
      window: { select: { endAt: true } },
    },
  });
  const seen = new Set<string>();
  const facts: ResultFacts[] = [];
  for (const row of rows) {
    if (seen.has(row.windowId)) continue;
    seen.add(row.windowId);
    facts.push(
      factsOf({ ...row, reasoning: row.reasoning ?? '' }, row.window.endAt, {
        keepReasoning: options.keepReasoning === true,
      }),
    );
    if (facts.length >= options.limit) break;
  }
  return facts.reverse();
}

export class StreamHistory {
  constructor(
    private readonly redis: Redis,
    private readonly capacity = MAX_HISTORY,
  ) {}

  /**
   * The `depth` results before `current` (oldest first), then records `current` (without its
   * reasoning). A result recorded again (a re-run job) replaces the window's earlier entry.
   */
  async readAndAppend(
    db: TenantDb,
    tenantId: string,
    streamId: string,
    current: ResultFacts,
    depth: number,
  ): Promise<ResultFacts[]> {
    const key = historyKey(tenantId, streamId);
    if (!(await this.redis.exists(key))) await this.rebuild(db, tenantId, streamId);
    const wanted = Math.min(depth, this.capacity);
    const entries =
      wanted > 0 ? await this.redis.zrevrangebyscore(key, `(${current.endAt}`, '(0', 'LIMIT', 0, wanted) : [];
    const stored: ResultFacts = { ...current, reasoning: '' };
    await this.redis
      .multi()
      .zremrangebyscore(key, current.endAt, current.endAt)
      .zadd(key, current.endAt, JSON.stringify(stored))
      .zremrangebyrank(key, 0, -(this.capacity + 2))
      .expire(key, HISTORY_TTL_SECONDS)
      .exec();
    return entries.map((entry) => JSON.parse(entry) as ResultFacts).reverse();
  }

  /** Refills the key from PostgreSQL (the newest `capacity + 1` results). */
  async rebuild(db: TenantDb, tenantId: string, streamId: string): Promise<number> {
    const key = historyKey(tenantId, streamId);
    const facts = await loadHistoryFromDb(db, streamId, { limit: this.capacity + 1 });
    const multi = this.redis.multi().del(key);
    for (const fact of facts) multi.zadd(key, fact.endAt, JSON.stringify(fact));
    // An empty stream still gets its key: a sentinel at score 0 that no window ever has.
    if (facts.length === 0) multi.zadd(key, 0, '{"empty":true}');
    await multi.expire(key, HISTORY_TTL_SECONDS).exec();
    return facts.length;
  }
}
