/**
 * Subscription fan-out cost curve: 100, 1,000 and 5,000 subscribers of one subscription shape
 * (`alerts`) on ONE API process; events published to Redis with publishEvent at a steady rate, each
 * delivered to every subscriber. A line per subscriber count: deliveries per API CPU-second, the
 * p50/p99 delivery latency (publish time carried in the event -> client received it) and the API's
 * CPU; then the slope: how the API's CPU per delivery changes with the number of subscribers.
 *
 *   npm run build && node dist/bench/subscription-fanout.bench.js
 *
 * Layout: this process seeds the benchmark database once (bench-data.ts: DROPPED and recreated);
 * for each subscriber count it forks a fresh real API (support/vigil-api-server.js, CPU measured
 * with process.cpuUsage in that child only) and BENCH_CLIENT_PROCESSES client processes
 * (support/fanout-clients.js) sharing the subscribers, and publishes the events itself.
 *
 * Event rate: BENCH_EVENTS_PER_SECOND, lowered where it would offer more than
 * BENCH_MAX_DELIVERIES_PER_SECOND deliveries a second (the client processes share the 2 cores with
 * the API and could not read more: the 5,000 point then measures 4 events/s, not 20).
 *
 * Environment: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/vigil_bench),
 * BENCH_REDIS_URL (default redis://127.0.0.1:6379/14; flushed), BENCH_SUBSCRIBERS (comma-separated
 * counts, default 100,1000,5000), BENCH_SECONDS (measured seconds per count, 15),
 * BENCH_EVENTS_PER_SECOND (20), BENCH_MAX_DELIVERIES_PER_SECOND (20000), BENCH_CLIENT_PROCESSES (2).
 * BENCH_QUICK=1 (the perf budget): 1,000 subscribers for 5 s, then its perf-budget line.
 *
 * Targets at 1,000 subscribers: at least 40,000 deliveries per API CPU-second; p99 at most 100 ms.
 * A missed target is reported, not an error.
 */
import { ChildProcess, fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type Redis from 'ioredis';
import { createRedis } from '../src/redis/redis-client';
import { publishEvent } from '../src/pubsub/event-bus';
import { TOPICS } from '../src/pubsub/topics';
import { assertBenchDatabase, type BenchData, seedBenchData } from './support/bench-data';
import { printTable } from './support/bench-output';
import { meetsTarget, printBudget, quickRun, type BudgetFigure } from './support/perf-budget';
import { startServerChild } from './support/server-child';

const TARGET_SUBSCRIBERS = 1_000;
const TARGET_DELIVERIES_PER_CPU_SECOND = 40_000;
const TARGET_P99_MS = 100;
const CONNECT_TIMEOUT_MS = 120_000;
const WARMUP_INTERVAL_MS = 500;

const num = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};

function subscriberCounts(fallback: number[]): number[] {
  const raw = process.env.BENCH_SUBSCRIBERS;
  if (!raw) return fallback;
  const counts = raw.split(',').map((part) => Number(part.trim()));
  if (counts.some((count) => !Number.isInteger(count) || count <= 0)) {
    throw new Error('BENCH_SUBSCRIBERS must be positive whole numbers, comma-separated');
  }
  return counts;
}

interface Settings {
  subscriberCounts: number[];
  seconds: number;
  eventsPerSecond: number;
  maxDeliveriesPerSecond: number;
  processes: number;
}

function readSettings(): Settings {
  const quick = quickRun();
  return {
    subscriberCounts: subscriberCounts(quick ? [TARGET_SUBSCRIBERS] : [100, 1_000, 5_000]),
    seconds: num('BENCH_SECONDS', quick ? 5 : 15),
    eventsPerSecond: num('BENCH_EVENTS_PER_SECOND', 20),
    maxDeliveriesPerSecond: num('BENCH_MAX_DELIVERIES_PER_SECOND', 20_000),
    processes: Math.round(num('BENCH_CLIENT_PROCESSES', 2)),
  };
}

interface Report {
  latencies: number[];
  received: number;
  closed: number;
}

interface PointResult {
  subscribers: number;
  events: number;
  rate: number;
  expected: number;
  delivered: number;
  closed: number;
  cpuSeconds: number;
  coresBusy: number;
  deliveriesPerSecond: number;
  deliveriesPerCpuSecond: number;
  p50: number;
  p99: number;
  max: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * The next message of `type` from a client process; a refused subscription or the process ending
 * fails it at once.
 */
function waitMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    let done = false;
    const settle = (error: Error | undefined, message?: T): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message!);
    };
    const timer = setTimeout(
      () => settle(new Error(`no "${type}" from a client process within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMessage = (message: { type: string; message?: string }): void => {
      if (message.type === 'refused') settle(new Error(`the API refused a subscriber: ${message.message}`));
      else if (message.type === type) settle(undefined, message as T);
    };
    // Its last message may still be in the channel when the exit is seen: give it a moment.
    const onExit = (code: number | null, signal: string | null): void => {
      const error = new Error(`a client process ended (code ${code}, signal ${signal}) before its "${type}"`);
      setTimeout(() => settle(error), 1_000);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

const sleep = (milliseconds: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, milliseconds));

const alert = (publishedAt: string) => ({
  alertId: '00000000-0000-0000-0000-000000000001',
  incidentId: '00000000-0000-0000-0000-000000000002',
  streamId: '00000000-0000-0000-0000-000000000003',
  ruleId: '00000000-0000-0000-0000-000000000004',
  severity: 'HIGH',
  message: publishedAt,
});

const publishAlert = (redis: Redis, channel: string): Promise<string> =>
  publishEvent(redis, channel, alert(String(performance.timeOrigin + performance.now())));

/** One subscriber count on a fresh API process and fresh client processes. */
async function measurePoint(
  env: NodeJS.ProcessEnv,
  data: BenchData,
  redis: Redis,
  subscribers: number,
  settings: Settings,
): Promise<PointResult> {
  const rate = Math.min(settings.eventsPerSecond, settings.maxDeliveriesPerSecond / subscribers);
  const events = Math.max(1, Math.round(rate * settings.seconds));
  const channel = TOPICS.alerts(data.tenantId);
  const api = await startServerChild(path.join(__dirname, 'support', 'vigil-api-server.js'), env);
  const children = Array.from({ length: settings.processes }, () =>
    fork(path.join(__dirname, 'support', 'fanout-clients.js'), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  try {
    const start = await publishEvent(redis, channel, { marker: true });
    const url = `ws://127.0.0.1:${api.port}/graphql`;
    const connected = Promise.all(
      children.map((child) => waitMessage(child, 'connected', CONNECT_TIMEOUT_MS)),
    );
    children.forEach((child, i) =>
      child.send({
        type: 'start',
        url,
        apiKey: data.apiKey,
        clients:
          Math.floor(subscribers / settings.processes) + (i < subscribers % settings.processes ? 1 : 0),
        after: start,
      }),
    );
    // Warm-up events until every subscriber has one (each subscribed with `after`, so none is missed).
    let settled = false;
    const connecting = connected.finally(() => (settled = true));
    connecting.catch(() => undefined);
    while (!settled) {
      await publishAlert(redis, channel);
      await sleep(WARMUP_INTERVAL_MS);
    }
    await connecting;
    await sleep(500);
    const from = await publishEvent(redis, channel, { marker: true });
    for (const child of children) child.send({ type: 'measure', from });

    const cpuBefore = await api.cpuMicros();
    const began = performance.now();
    const interval = 1000 / rate;
    for (let n = 0; n < events; n++) {
      const wait = began + n * interval - performance.now();
      if (wait > 0) await sleep(wait);
      await publishAlert(redis, channel);
    }
    // Let the last deliveries arrive.
    await sleep(1_000);
    const seconds = (performance.now() - began) / 1000;
    const cpuSeconds = ((await api.cpuMicros()) - cpuBefore) / 1e6;
    const reports = await Promise.all(
      children.map((child) => {
        const report = waitMessage<Report>(child, 'report', 60_000);
        child.send({ type: 'report' });
        return report;
      }),
    );
    const latencies = reports.flatMap((r) => r.latencies).sort((a, b) => a - b);
    const delivered = reports.reduce((sum, r) => sum + r.received, 0);
    return {
      subscribers,
      events,
      rate,
      expected: events * subscribers,
      delivered,
      closed: reports.reduce((sum, r) => sum + r.closed, 0),
      cpuSeconds,
      coresBusy: cpuSeconds / seconds,
      deliveriesPerSecond: delivered / seconds,
      deliveriesPerCpuSecond: cpuSeconds > 0 ? delivered / cpuSeconds : NaN,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? NaN,
    };
  } finally {
    for (const child of children) child.kill();
    await api.stop();
  }
}

const microsPerDelivery = (point: PointResult): number => 1e6 / point.deliveriesPerCpuSecond;

/**
 * The slope between neighbouring counts, as the exponent b in cost per delivery ~ subscribers^b:
 * 0 means each delivery costs the same whatever the count (total cost linear in subscribers),
 * below 0 per-event work is shared by more subscribers, above 0 each subscriber makes the others dearer.
 */
function printSlope(points: PointResult[]): void {
  if (points.length < 2) return;
  console.log('\nSlope (API CPU per delivery against the subscriber count):');
  for (let i = 1; i < points.length; i++) {
    const before = points[i - 1]!;
    const after = points[i]!;
    const costRatio = microsPerDelivery(after) / microsPerDelivery(before);
    const countRatio = after.subscribers / before.subscribers;
    const exponent = Math.log(costRatio) / Math.log(countRatio);
    console.log(
      `  ${before.subscribers} -> ${after.subscribers} subscribers (x${countRatio.toFixed(1)}): ` +
        `${microsPerDelivery(before).toFixed(1)} -> ${microsPerDelivery(after).toFixed(1)} µs per delivery ` +
        `(x${costRatio.toFixed(2)}; exponent ${exponent.toFixed(2)})`,
    );
  }
}

async function main(): Promise<void> {
  const settings = readSettings();
  const largest = Math.max(...settings.subscriberCounts);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: process.env.BENCH_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/vigil_bench',
    REDIS_URL: process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/14',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    RATE_LIMIT_API_KEY_PER_MINUTE: '1000000',
    // Every subscriber uses the bench's one API key from one address: production's per-credential
    // cap, and the budget for credentials not yet verified (all of a burst of connects is, until the
    // first look-up is cached), would refuse most of them.
    SUBSCRIPTIONS_PER_CREDENTIAL: String(largest),
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
  };
  assertBenchDatabase(env.DATABASE_URL!);
  const data = await seedBenchData(env);
  const redis = createRedis(env.REDIS_URL!, { name: 'vigil-bench-publisher' });
  const points: PointResult[] = [];
  try {
    for (const subscribers of settings.subscriberCounts) {
      points.push(await measurePoint(env, data, redis, subscribers, settings));
    }
  } finally {
    await redis.quit();
  }

  console.log(
    `\nSubscription fan-out: ${settings.seconds} s per subscriber count, one API process ` +
      `(${os.cpus().length} cores on this machine, shared with ${settings.processes} client processes, ` +
      `Redis and the publisher)\n`,
  );
  printTable(
    [
      'subscribers',
      'events/s',
      'deliveries',
      'deliveries/s',
      'API CPU s',
      'API cores',
      'deliveries per API CPU-s',
      'µs CPU per delivery',
      'p50 ms',
      'p99 ms',
      'max ms',
    ],
    points.map((point) => [
      point.subscribers,
      point.rate.toFixed(1),
      `${point.delivered} of ${point.expected}${point.closed ? ` (${point.closed} closed)` : ''}`,
      point.deliveriesPerSecond.toFixed(0),
      point.cpuSeconds.toFixed(2),
      point.coresBusy.toFixed(2),
      point.deliveriesPerCpuSecond.toFixed(0),
      microsPerDelivery(point).toFixed(1),
      point.p50.toFixed(1),
      point.p99.toFixed(1),
      point.max.toFixed(1),
    ]),
  );
  printSlope(points);

  const atTarget = points.find((point) => point.subscribers === TARGET_SUBSCRIBERS);
  const complete = points.every((point) => point.delivered === point.expected);
  console.log(`\nAll events delivered to all subscribers: ${complete ? 'yes' : 'NO'}`);
  if (!atTarget) {
    console.log(`No ${TARGET_SUBSCRIBERS}-subscriber point measured: targets not checked\n`);
    return;
  }
  const figures: BudgetFigure[] = [
    {
      name: `deliveries per API CPU-second at ${TARGET_SUBSCRIBERS} subscribers`,
      value: Math.round(atTarget.deliveriesPerCpuSecond),
      target: TARGET_DELIVERIES_PER_CPU_SECOND,
      lowerIsBetter: false,
      unit: 'deliveries/CPU-s',
    },
    {
      name: `p99 delivery latency at ${TARGET_SUBSCRIBERS} subscribers`,
      value: Number(atTarget.p99.toFixed(1)),
      target: TARGET_P99_MS,
      lowerIsBetter: true,
      unit: 'ms',
    },
  ];
  for (const figure of figures) {
    console.log(
      `Target ${figure.name} ${figure.lowerIsBetter ? '<=' : '>='} ${figure.target} ${figure.unit}: ` +
        `${figure.value} ${meetsTarget(figure) ? 'PASS' : 'MISS'}`,
    );
  }
  console.log('');
  printBudget({ bench: 'subscription-fanout', figures });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
