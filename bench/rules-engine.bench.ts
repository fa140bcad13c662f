/**
 * Rules engine cost per analysis result with 50 rules per tenant (target: microseconds per result).
 *
 *   npm run build && node dist/bench/rules-engine.bench.js      (or: npx tsx bench/rules-engine.bench.ts)
 *
 * Two figures:
 *   - evaluation only: the 50 compiled conditions (a realistic mix of plain and temporal forms)
 *     evaluated on one result against a 100-result history, as the runner does;
 *   - with history I/O: the same plus the stream history's Redis round trip (read the last results,
 *     record the current one) through StreamHistory, on a real Redis (BENCH_REDIS_URL, default
 *     redis://127.0.0.1:6379/14; only this bench's own key is touched).
 * Database writes of firings (incidents, items, alerts) are not included: they happen only when a
 * rule fires, not per result.
 *
 * Environment: BENCH_RESULTS (results per figure, default 20000 evaluation / 2000 with I/O).
 */
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { TenantDb } from '../src/db/tenant-scoped-db';
import type { Condition } from '../src/rules/rule-definition';
import {
  CompiledRuleCache,
  evaluateCondition,
  factsOf,
  MAX_HISTORY,
  type CompiledCondition,
  type ResultFacts,
} from '../src/rules/rule-evaluator';
import { historyKey, StreamHistory } from '../src/rules/stream-history';

const RULES = 50;
const TARGET_MICROSECONDS = 100;
const LABELS = ['person', 'car', 'dog', 'bicycle', 'truck', 'backpack', 'knife', 'bottle'];

function ruleCondition(index: number): Condition {
  const label = LABELS[index % LABELS.length]!;
  switch (index % 10) {
    case 0:
      return { appears: { when: { object: { label, minConfidence: 0.6 } }, absentFor: 3 } };
    case 1:
      return { persists: { when: { object: { label } }, windows: 5 } };
    case 2:
      return {
        occurs: {
          when: { anomaly: { type: 'intrusion', minSeverity: 'medium' } },
          times: 3,
          withinSeconds: 120,
        },
      };
    case 3:
      return { disappears: { when: { object: { label } }, presentFor: 4 } };
    case 4:
      return { all: [{ object: { label, minCount: 2 } }, { verdict: 'violation' }] };
    case 5:
      return { any: [{ action: { action: 'climbing', target: 'fence' } }, { text: { contains: 'weapon' } }] };
    case 6:
      return { all: [{ confidence: { min: 0.8 } }, { not: { verdict: 'safe' } }] };
    case 7:
      return { text: { contains: `${label} near the gate`, in: 'reasoning' } };
    case 8:
      return { anomaly: { type: 'fire', minSeverity: 'high' } };
    default:
      return { object: { label, minConfidence: 0.5 } };
  }
}

function resultAt(index: number): ResultFacts {
  const present = (offset: number) => (index + offset) % 7 < 3;
  return factsOf(
    {
      id: randomUUID(),
      windowId: randomUUID(),
      result: {
        objects: LABELS.filter((_, at) => present(at)).map((label, at) => ({
          label,
          confidence: 0.5 + ((index + at) % 5) / 10,
          count: 1 + ((index + at) % 3),
        })),
        actions: index % 11 === 0 ? [{ actor: 'person', action: 'climbing', target: 'fence' }] : [],
        anomalies:
          index % 13 === 0
            ? [{ type: 'intrusion', severity: 'high', description: 'someone at the fence' }]
            : [],
        verdict: ['safe', 'review', 'violation'][index % 3],
        confidence: 0.6 + (index % 4) / 10,
        rootCause: 'A person walks from the gate towards the fence.',
      },
      reasoning: 'The frames show a fixed camera over a lawn. '.repeat(40),
    },
    1_700_000_000_000 + index * 10_000,
  );
}

function evaluateAll(compiled: CompiledCondition[], current: ResultFacts, history: ResultFacts[]): number {
  let fired = 0;
  for (const condition of compiled) {
    try {
      if (evaluateCondition(condition, current, history).matched) fired += 1;
    } catch {
      // counted as failed by the runner; never happens here
    }
  }
  return fired;
}

function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? '');
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

async function main(): Promise<void> {
  const cache = new CompiledRuleCache();
  const updatedAt = new Date();
  const compiled = Array.from({ length: RULES }, (_, index) =>
    cache.get({ id: `rule-${index}`, updatedAt, condition: ruleCondition(index) }),
  );
  const depth = Math.max(...compiled.map((condition) => condition.historyDepth));
  const timeline = Array.from({ length: MAX_HISTORY + 1_000 }, (_, index) => resultAt(index));

  // Evaluation only.
  const evaluations = envNumber('BENCH_RESULTS', 20_000);
  let fired = 0;
  for (let warm = 0; warm < 2_000; warm += 1) {
    const at = MAX_HISTORY + (warm % 1_000);
    fired += evaluateAll(compiled, timeline[at]!, timeline.slice(at - depth, at));
  }
  const histories = Array.from({ length: 1_000 }, (_, offset) =>
    timeline.slice(MAX_HISTORY + offset - depth, MAX_HISTORY + offset),
  );
  fired = 0;
  const began = process.hrtime.bigint();
  for (let run = 0; run < evaluations; run += 1) {
    const offset = run % 1_000;
    fired += evaluateAll(compiled, timeline[MAX_HISTORY + offset]!, histories[offset]!);
  }
  const evalMicros = Number(process.hrtime.bigint() - began) / 1_000 / evaluations;

  // With the stream history's Redis round trip.
  const redis = new Redis(process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/14', { lazyConnect: true });
  await redis.connect();
  const tenantId = randomUUID();
  const streamId = randomUUID();
  const key = historyKey(tenantId, streamId);
  const history = new StreamHistory(redis);
  const noDatabase = new Proxy(
    {},
    {
      get() {
        throw new Error('the bench keeps its history key: no rebuild from PostgreSQL expected');
      },
    },
  ) as TenantDb;
  try {
    for (const facts of timeline.slice(0, MAX_HISTORY)) {
      await redis.zadd(key, facts.endAt, JSON.stringify({ ...facts, reasoning: '' }));
    }
    const withIo = envNumber('BENCH_RESULTS_IO', 2_000);
    const ioTimeline = Array.from({ length: withIo + 200 }, (_, index) => resultAt(MAX_HISTORY + index));
    for (let warm = 0; warm < 200; warm += 1) {
      const current = ioTimeline[warm]!;
      evaluateAll(
        compiled,
        current,
        await history.readAndAppend(noDatabase, tenantId, streamId, current, depth),
      );
    }
    const ioBegan = process.hrtime.bigint();
    for (let run = 200; run < withIo + 200; run += 1) {
      const current = ioTimeline[run]!;
      evaluateAll(
        compiled,
        current,
        await history.readAndAppend(noDatabase, tenantId, streamId, current, depth),
      );
    }
    const ioMicros = Number(process.hrtime.bigint() - ioBegan) / 1_000 / withIo;

    console.log(`rules engine: ${RULES} rules per tenant, history depth ${depth} results`);
    console.log(
      `  evaluation only:    ${evalMicros.toFixed(1)} µs per result (${(evalMicros / RULES).toFixed(2)} µs per rule; ${evaluations} results, ${(fired / evaluations).toFixed(1)} rules fired per result)`,
    );
    console.log(
      `  with history I/O:   ${ioMicros.toFixed(1)} µs per result (Redis round trip included; ${withIo} results)`,
    );
    console.log(
      `  target: evaluation under ${TARGET_MICROSECONDS} µs per result: ${evalMicros <= TARGET_MICROSECONDS ? 'met' : 'MISSED'}`,
    );
  } finally {
    await redis.del(key);
    await redis.quit();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
