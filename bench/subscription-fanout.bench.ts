/**
 * Subscription fan-out: 1,000 subscribers of one subscription shape (`alerts`) on ONE API process;
 * events published to Redis with publishEvent at a steady rate, each delivered to every subscriber.
 * Reports deliveries per second, deliveries per CPU-second of the API process (per core), and
 * the p50/p99/max delivery latency (publish time carried in the event -> client received it).
 *
 *   npm run build && node dist/bench/subscription-fanout.bench.js
 *
 * Layout: this process seeds the benchmark database (bench-data.ts: DROPPED and recreated), forks
 * the real API (support/vigil-api-server.js, CPU measured with process.cpuUsage in that child only),
 * forks BENCH_CLIENT_PROCESSES client processes (support/fanout-clients.js) sharing the subscribers,
 * and publishes the events itself.
 *
 * Environment: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/vigil_bench),
 * BENCH_REDIS_URL (default redis://127.0.0.1:6379/14; flushed), BENCH_SUBSCRIBERS (1000),
 * BENCH_EVENTS (300), BENCH_EVENTS_PER_SECOND (20), BENCH_CLIENT_PROCESSES (2).
 *
 * Targets: at least 20,000 deliveries/s per core of the API process; p99 at most 100 ms.
 * A missed target is reported, not an error.
 */
import { ChildProcess, fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRedis } from '../src/redis/redis-client';
import { publishEvent } from '../src/pubsub/event-bus';
import { TOPICS } from '../src/pubsub/topics';
import { assertBenchDatabase, seedBenchData } from './support/bench-data';
import { printTable } from './support/bench-output';
import { startServerChild } from './support/server-child';

const TARGET_PER_CORE = 20_000;
const TARGET_P99_MS = 100;

const num = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};

interface Report {
  latencies: number[];
  received: number;
  closed: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function waitMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${type}" from a client process`)), timeoutMs);
    const onMessage = (message: { type: string }): void => {
      if (message.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message as T);
    };
    child.on('message', onMessage);
  });
}

async function main(): Promise<void> {
  const subscribers = Math.round(num('BENCH_SUBSCRIBERS', 1000));
  const events = Math.round(num('BENCH_EVENTS', 300));
  const rate = num('BENCH_EVENTS_PER_SECOND', 20);
  const processes = Math.round(num('BENCH_CLIENT_PROCESSES', 2));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: process.env.BENCH_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/vigil_bench',
    REDIS_URL: process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/14',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    RATE_LIMIT_API_KEY_PER_MINUTE: '1000000',
  };
  assertBenchDatabase(env.DATABASE_URL!);
  const data = await seedBenchData(env);
  const api = await startServerChild(path.join(__dirname, 'support', 'vigil-api-server.js'), env);
  const redis = createRedis(env.REDIS_URL!, { name: 'vigil-bench-publisher' });
  const channel = TOPICS.alerts(data.tenantId);
  const children = Array.from({ length: processes }, () =>
    fork(path.join(__dirname, 'support', 'fanout-clients.js'), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  try {
    const start = await publishEvent(redis, channel, { marker: true });
    const url = `ws://127.0.0.1:${api.port}/graphql`;
    const connected = children.map((child) => waitMessage(child, 'connected', 120_000));
    children.forEach((child, i) =>
      child.send({
        type: 'start',
        url,
        apiKey: data.apiKey,
        clients: Math.floor(subscribers / processes) + (i < subscribers % processes ? 1 : 0),
        after: start,
      }),
    );
    // Warm-up events until every subscriber has one (each subscribed with `after`, so none is missed).
    let ready = false;
    void Promise.all(connected).then(() => (ready = true));
    let warmups = 0;
    while (!ready) {
      await publishEvent(redis, channel, alert(String(performance.timeOrigin + performance.now())));
      warmups++;
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (warmups > 600) throw new Error('subscribers did not connect within 2 minutes');
    }
    await Promise.all(connected);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const from = await publishEvent(redis, channel, { marker: true });
    for (const child of children) child.send({ type: 'measure', from });

    const cpuBefore = await api.cpuMicros();
    const began = performance.now();
    const interval = 1000 / rate;
    for (let n = 0; n < events; n++) {
      const due = began + n * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await publishEvent(redis, channel, alert(String(performance.timeOrigin + performance.now())));
    }
    // Let the last deliveries arrive.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
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
    const closed = reports.reduce((sum, r) => sum + r.closed, 0);
    const expected = events * subscribers;
    const perSecond = delivered / seconds;
    const perCore = cpuSeconds > 0 ? delivered / cpuSeconds : NaN;
    const p99 = percentile(latencies, 99);

    console.log(
      `\nSubscription fan-out: ${subscribers} subscribers, ${events} events at ${rate}/s, one API process ` +
        `(${os.cpus().length} cores on this machine, shared with ${processes} client processes, Redis and the publisher)\n`,
    );
    printTable(
      ['figure', 'value'],
      [
        ['deliveries', `${delivered} of ${expected}${closed ? ` (${closed} sockets closed)` : ''}`],
        ['deliveries/s (wall clock)', perSecond.toFixed(0)],
        ['API CPU seconds', cpuSeconds.toFixed(2)],
        ['API cores busy', (cpuSeconds / seconds).toFixed(2)],
        ['deliveries/s per core (per API CPU-second)', perCore.toFixed(0)],
        ['latency p50', `${percentile(latencies, 50).toFixed(1)} ms`],
        ['latency p99', `${p99.toFixed(1)} ms`],
        ['latency max', `${(latencies.at(-1) ?? NaN).toFixed(1)} ms`],
      ],
    );
    console.log(
      `\nTarget >= ${TARGET_PER_CORE} deliveries/s per core: ${perCore >= TARGET_PER_CORE ? 'MET' : 'MISSED'}` +
        `\nTarget p99 <= ${TARGET_P99_MS} ms: ${p99 <= TARGET_P99_MS ? 'MET' : 'MISSED'}` +
        `\nAll events delivered to all subscribers: ${delivered === expected ? 'yes' : 'NO'}\n`,
    );
  } finally {
    for (const child of children) child.kill();
    await api.stop();
    await redis.quit();
  }
}

const alert = (publishedAt: string) => ({
  alertId: '00000000-0000-0000-0000-000000000001',
  incidentId: '00000000-0000-0000-0000-000000000002',
  streamId: '00000000-0000-0000-0000-000000000003',
  ruleId: '00000000-0000-0000-0000-000000000004',
  severity: 'HIGH',
  message: publishedAt,
});

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
