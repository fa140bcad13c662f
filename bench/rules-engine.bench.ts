/**
 * Rules engine cost curve: microseconds per analysis result with 10, 50 and 200 rules per tenant,
 * a line per count, then the slope (how the cost grows with the number of rules).
 *
 *   npm run build && node dist/bench/rules-engine.bench.js      (or: npx tsx bench/rules-engine.bench.ts)
 *
 * Two figures per count:
 *   - evaluation only: the compiled conditions (a realistic mix of plain and temporal forms; every
 *     count holds every form) evaluated on one result against a 100-result history, as the runner does;
 *   - with history I/O: the same plus the stream history's Redis round trip (read the last results,
 *     record the current one) through StreamHistory, on a real Redis (BENCH_REDIS_URL, default
 *     redis://127.0.0.1:6379/14; only this bench's own key is touched). Evaluation only is this
 *     figure's same-run baseline: the difference is what the round trip costs.
 * Database writes of firings (incidents, items, alerts) are not included: they happen only when a
 * rule fires, not per result.
 *
 * Environment: BENCH_RULES (comma-separated counts, default 10,50,200), BENCH_RESULTS (results per
 * count, evaluation only, default 20000), BENCH_RESULTS_IO (with I/O, default 2000).
 * BENCH_QUICK=1 (the perf budget): a tenth of the results, then the perf-budget line.
 *
 * Target: evaluation under 100 µs per result at 50 rules per tenant.
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
import { printTable } from './support/bench-output';
import { meetsTarget, printBudget, quickRun, type BudgetFigure } from './support/perf-budget';

const TARGET_RULES = 50;
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

function ruleCounts(): number[] {
  const raw = process.env.BENCH_RULES;
  if (!raw) return [10, TARGET_RULES, 200];
  const counts = raw.split(',').map((part) => Number(part.trim()));
  if (counts.some((count) => !Number.isInteger(count) || count <= 0)) {
    throw new Error('BENCH_RULES must be positive whole numbers, comma-separated');
  }
  return counts;
}

interface PointResult {
  rules: number;
  depth: number;
  evalMicros: number;
  ioMicros: number;
  firedPerResult: number;
}

const noDatabase = new Proxy(
  {},
  {
    get() {
      throw new Error('the bench keeps its history key: no rebuild from PostgreSQL expected');
    },
  },
) as TenantDb;

/** One rule count: evaluation alone, then with the stream history's Redis round trip. */
async function measurePoint(
  redis: Redis,
  rules: number,
  evaluations: number,
  withIo: number,
  timeline: ResultFacts[],
): Promise<PointResult> {
  const cache = new CompiledRuleCache();
  const updatedAt = new Date();
  const compiled = Array.from({ length: rules }, (_, index) =>
    cache.get({ id: `rule-${index}`, updatedAt, condition: ruleCondition(index) }),
  );
  const depth = Math.max(...compiled.map((condition) => condition.historyDepth));

  // Evaluation only.
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

  // With the stream history's Redis round trip, on a stream of its own.
  const tenantId = randomUUID();
  const streamId = randomUUID();
  const key = historyKey(tenantId, streamId);
  const history = new StreamHistory(redis);
  try {
    for (const facts of timeline.slice(0, MAX_HISTORY)) {
      await redis.zadd(key, facts.endAt, JSON.stringify({ ...facts, reasoning: '' }));
    }
    const ioTimeline = Array.from({ length: withIo + 200 }, (_, index) => resultAt(MAX_HISTORY + index));
    const step = async (current: ResultFacts): Promise<void> => {
      evaluateAll(
        compiled,
        current,
        await history.readAndAppend(noDatabase, tenantId, streamId, current, depth),
      );
    };
    for (let warm = 0; warm < 200; warm += 1) await step(ioTimeline[warm]!);
    const ioBegan = process.hrtime.bigint();
    for (let run = 200; run < withIo + 200; run += 1) await step(ioTimeline[run]!);
    const ioMicros = Number(process.hrtime.bigint() - ioBegan) / 1_000 / withIo;
    return { rules, depth, evalMicros, ioMicros, firedPerResult: fired / evaluations };
  } finally {
    await redis.del(key);
  }
}

/**
 * The slope between neighbouring counts, as the exponent b in cost per result ~ rules^b: 1 means
 * linear in the number of rules (each rule costs the same), below 1 shared work (facts, history)
 * is spread over more rules.
 */
function printSlope(points: PointResult[]): void {
  if (points.length < 2) return;
  console.log('\nSlope (evaluation only, µs per result against rules per tenant):');
  for (let i = 1; i < points.length; i++) {
    const before = points[i - 1]!;
    const after = points[i]!;
    const countRatio = after.rules / before.rules;
    const costRatio = after.evalMicros / before.evalMicros;
    const perAddedRule = (after.evalMicros - before.evalMicros) / (after.rules - before.rules);
    console.log(
      `  ${before.rules} -> ${after.rules} rules (x${countRatio.toFixed(1)}): ` +
        `${before.evalMicros.toFixed(1)} -> ${after.evalMicros.toFixed(1)} µs per result ` +
        `(x${costRatio.toFixed(2)}; exponent ${(Math.log(costRatio) / Math.log(countRatio)).toFixed(2)}; ` +
        `${perAddedRule.toFixed(2)} µs per added rule)`,
    );
  }
}

async function main(): Promise<void> {
  const quick = quickRun();
  const counts = ruleCounts();
  const evaluations = Math.round(envNumber('BENCH_RESULTS', quick ? 2_000 : 20_000));
  const withIo = Math.round(envNumber('BENCH_RESULTS_IO', quick ? 200 : 2_000));
  const timeline = Array.from({ length: MAX_HISTORY + 1_000 }, (_, index) => resultAt(index));
  const redis = new Redis(process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/14', { lazyConnect: true });
  await redis.connect();
  const points: PointResult[] = [];
  try {
    for (const rules of counts) points.push(await measurePoint(redis, rules, evaluations, withIo, timeline));
  } finally {
    await redis.quit();
  }

  console.log(
    `\nRules engine: ${evaluations} results per count evaluated alone, ${withIo} with history I/O ` +
      `(history depth ${points[0]?.depth ?? 0} results)\n`,
  );
  printTable(
    [
      'rules',
      'evaluation µs/result',
      'µs per rule',
      'with history I/O µs/result',
      'I/O share',
      'fired per result',
    ],
    points.map((point) => [
      point.rules,
      point.evalMicros.toFixed(1),
      (point.evalMicros / point.rules).toFixed(2),
      point.ioMicros.toFixed(1),
      `${(((point.ioMicros - point.evalMicros) / point.ioMicros) * 100).toFixed(0)}%`,
      point.firedPerResult.toFixed(1),
    ]),
  );
  printSlope(points);

  const atTarget = points.find((point) => point.rules === TARGET_RULES);
  if (!atTarget) {
    console.log(`\nNo ${TARGET_RULES}-rule point measured: target not checked`);
    return;
  }
  const figure: BudgetFigure = {
    name: `evaluation per result at ${TARGET_RULES} rules`,
    value: Number(atTarget.evalMicros.toFixed(1)),
    target: TARGET_MICROSECONDS,
    lowerIsBetter: true,
    unit: 'µs',
  };
  console.log(
    `\nTarget ${figure.name} <= ${figure.target} ${figure.unit}: ${figure.value} ${meetsTarget(figure) ? 'PASS' : 'MISS'}\n`,
  );
  printBudget({ bench: 'rules-engine', figures: [figure] });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
