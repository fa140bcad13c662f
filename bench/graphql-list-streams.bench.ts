/**
 * GraphQL throughput and latency of a list query: pages of 10, 50 and 100 streams with their
 * templates and active versions, answered by one Vigil API process under 50 concurrent clients,
 * compared in the same run with the same query answered by plain graphql-js over the same data.
 * The headline figures are those of the 50-stream page; the others give the cost curve (the fixed
 * cost of a request and the cost of each item).
 *
 *   npm run bench
 *
 * Layout (all on this machine):
 *   - this process: recreates the benchmark database and Redis db, seeds them through Vigil's
 *     services, forks the two servers, checks their answers, then drives them one after the other
 *     with autocannon (the load generator runs here, never inside a measured server);
 *   - support/vigil-api-server.js: the real API (createApiServer), one process;
 *   - support/plain-graphql-server.js: the baseline, plain graphql-js + pg over node:http, one process.
 *
 * Environment: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/vigil_bench; it is
 * DROPPED and recreated, so its name must contain "bench"), BENCH_REDIS_URL (default
 * redis://127.0.0.1:6379/14; flushed), BENCH_SECONDS (measured seconds per server, default 15),
 * BENCH_WARMUP_SECONDS (default 3), BENCH_CONNECTIONS (default 50), BENCH_ONLY (vigil | plain),
 * BENCH_LIST_SIZES (page sizes, default 10,50,100), BENCH_QUICK=1 (the 50-stream page only, 1 s
 * warm-up and 3 s per server, for the perf budget, which reads the `perf-budget` lines printed at
 * the end),
 * BENCH_CPU_PROF (vigil | plain | all: write V8 CPU profiles of the server children into
 * BENCH_CPU_PROF_DIR, default <tmpdir>/vigil-bench-profiles).
 *
 * Exits non-zero only when the run itself is broken (a server fails, answers wrongly, or the two
 * servers disagree on the data); a missed target is reported, not an error.
 */
import { deepStrictEqual } from 'node:assert';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { projectRoot } from '../src/config/project-root';
import { assertBenchDatabase, BenchData, seedBenchData } from './support/bench-data';
import { cpuBetween, CpuShares, snapshotCpu } from './support/cpu-sampler';
import { printBudget, quickRun } from './support/perf-budget';
import { LIST_PAGE_SIZE, listStreamsQuery, STREAM_COUNT } from './support/protocol';
import { ServerChild, startServerChild } from './support/server-child';

const TARGET_RPS_PER_CORE = 1500;
const TARGET_MAX_OVERHEAD = 1.5;
/** The Node flags the API is started with (`npm run start:api`; the Dockerfile sets the same). */
const NODE_FLAGS = (
  JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts['start:api']!.split(/\s+/).filter((word) => word.startsWith('--'));

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, not "${raw}"`);
  return value;
}

function onlyFromEnv(): '' | 'vigil' | 'plain' {
  const only = process.env.BENCH_ONLY ?? '';
  if (only !== '' && only !== 'vigil' && only !== 'plain') {
    throw new Error(`BENCH_ONLY must be "vigil" or "plain", not "${only}"`);
  }
  return only;
}

function pageSizes(): number[] {
  // The quick run (the perf budget) measures the headline page only.
  const raw =
    process.env.BENCH_LIST_SIZES ||
    (quickRun() ? `${LIST_PAGE_SIZE}` : `10,${LIST_PAGE_SIZE},${STREAM_COUNT}`);
  const sizes = raw.split(',').map(Number);
  if (sizes.some((size) => !Number.isInteger(size) || size < 1 || size > STREAM_COUNT)) {
    throw new Error(`BENCH_LIST_SIZES must be page sizes from 1 to ${STREAM_COUNT}, not "${raw}"`);
  }
  return sizes;
}

function readSettings() {
  const quick = quickRun();
  return {
    databaseUrl: process.env.BENCH_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/vigil_bench',
    redisUrl: process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/14',
    seconds: envNumber('BENCH_SECONDS', quick ? 3 : 15),
    warmupSeconds: envNumber('BENCH_WARMUP_SECONDS', quick ? 1 : 3),
    connections: Math.round(envNumber('BENCH_CONNECTIONS', 50)),
    sizes: pageSizes(),
    only: onlyFromEnv(),
    cpuProf: process.env.BENCH_CPU_PROF ?? '',
    cpuProfDir: process.env.BENCH_CPU_PROF_DIR || path.join(os.tmpdir(), 'vigil-bench-profiles'),
  };
}

function settingsOrExit(): ReturnType<typeof readSettings> {
  try {
    return readSettings();
  } catch (error) {
    console.error(`Benchmark settings: ${(error as Error).message}`);
    process.exit(1);
  }
}

const settings = settingsOrExit();

interface Target {
  key: 'vigil' | 'plain';
  label: string;
  module: string;
  /** Headers every request carries (the API key for Vigil). */
  headers: Record<string, string>;
}

interface Measurement {
  target: Target;
  /** Streams per page. */
  first: number;
  rps: number;
  p50: number;
  p99: number;
  responses: number;
  errors: { non2xx: number; socket: number; timeouts: number; wrongBody: number; total: number };
  statusCodes: Record<string, { count: number }>;
  /** CPU seconds per wall second: 1 = one core fully busy. */
  serverCpu: number;
  loadGeneratorCpu: number;
  others: CpuShares | null;
}

interface StreamsPayload {
  streams?: {
    edges?: { node?: { template?: { activeVersion?: unknown } | null } | null }[];
    pageInfo?: { hasNextPage?: boolean };
  };
}

/** One request; fails loudly unless it is a 200 with the whole page of streams, templates and versions. */
async function checkedRequest(
  url: string,
  target: Target,
  first: number,
): Promise<{ body: string; data: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: target.headers,
    body: JSON.stringify({ query: listStreamsQuery(first) }),
  });
  const body = await response.text();
  const problem = (message: string): Error =>
    new Error(`${target.label}: ${message}; status ${response.status}, body: ${body.slice(0, 600)}`);
  if (response.status !== 200) throw problem('expected HTTP 200');
  let parsed: { data?: StreamsPayload | null; errors?: unknown[] };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    throw problem('the body is not JSON');
  }
  if (parsed.errors?.length) throw problem('the response has GraphQL errors');
  const edges = parsed.data?.streams?.edges ?? [];
  const expected = Math.min(first, STREAM_COUNT);
  if (edges.length !== expected) throw problem(`expected ${expected} edges, got ${edges.length}`);
  const incomplete = edges.filter((edge) => !edge.node?.template?.activeVersion).length;
  if (incomplete > 0) throw problem(`${incomplete} streams lack a template or its active version`);
  if (parsed.data?.streams?.pageInfo?.hasNextPage !== first < STREAM_COUNT)
    throw problem(`expected hasNextPage ${first < STREAM_COUNT}`);
  return { body, data: parsed.data };
}

/** Checks a server's answer and returns the exact body every measured response must repeat. */
async function verify(url: string, target: Target, first: number): Promise<{ body: string; data: unknown }> {
  const answer = await checkedRequest(url, target, first);
  const again = await checkedRequest(url, target, first);
  if (answer.body !== again.body) {
    throw new Error(`${target.label}: two identical requests got different bodies; cannot verify bodies`);
  }
  return answer;
}

function loadOptions(
  url: string,
  target: Target,
  seconds: number,
  expectBody: string,
  first: number,
): autocannon.Options {
  return {
    url,
    method: 'POST',
    headers: target.headers,
    body: JSON.stringify({ query: listStreamsQuery(first) }),
    connections: settings.connections,
    duration: seconds,
    expectBody,
  };
}

async function measure(
  server: ServerChild,
  target: Target,
  expectBody: string,
  first: number,
): Promise<Measurement> {
  const url = `http://127.0.0.1:${server.port}/graphql`;
  process.stdout.write(`  ${target.label}, ${first} streams: warm-up ${settings.warmupSeconds} s, `);
  await autocannon(loadOptions(url, target, settings.warmupSeconds, expectBody, first));
  process.stdout.write(`measuring ${settings.seconds} s ... `);

  const serverStart = await server.cpuMicros();
  const selfStart = process.cpuUsage();
  const machineStart = snapshotCpu();
  const wallStart = process.hrtime.bigint();
  const result = await autocannon(loadOptions(url, target, settings.seconds, expectBody, first));
  const wallSeconds = Number(process.hrtime.bigint() - wallStart) / 1e9;
  const machineEnd = snapshotCpu();
  const self = process.cpuUsage(selfStart);
  const serverEnd = await server.cpuMicros();

  const responses = result.requests.total;
  const errors = {
    non2xx: result.non2xx,
    socket: result.errors - result.timeouts,
    timeouts: result.timeouts,
    wrongBody: result.mismatches,
  };
  const good = result['2xx'] - result.mismatches;
  const measurement: Measurement = {
    target,
    first,
    // Only correct answers count towards throughput.
    rps: good / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    responses,
    errors: { ...errors, total: errors.non2xx + errors.socket + errors.timeouts + errors.wrongBody },
    statusCodes: result.statusCodeStats,
    serverCpu: (serverEnd - serverStart) / 1e6 / wallSeconds,
    loadGeneratorCpu: (self.user + self.system) / 1e6 / wallSeconds,
    others: cpuBetween(machineStart, machineEnd, wallSeconds),
  };
  console.log(`${Math.round(measurement.rps)} req/s`);
  return measurement;
}

const pad = (text: string | number, width: number): string => String(text).padStart(width);
const cores = (value: number): string => value.toFixed(2);

/** CPU of the processes involved, in cores (1.00 = one core busy the whole run). */
function cpuColumns(r: Measurement, available: number): string[] {
  const postgres = r.others?.byName.postgres ?? NaN;
  const redis = r.others?.byName['redis-server'] ?? NaN;
  const busy = r.others ? r.others.machine * available : NaN;
  const other = Math.max(0, busy - r.serverCpu - r.loadGeneratorCpu - postgres - redis);
  return [r.serverCpu, r.loadGeneratorCpu, postgres, redis, other, available - busy].map((value) =>
    Number.isNaN(value) ? 'n/a' : cores(value),
  );
}

function otherCpu(r: Measurement, available: number): number {
  if (!r.others) return 0;
  const known = r.serverCpu + r.loadGeneratorCpu + (r.others.byName.postgres ?? 0);
  return Math.max(0, r.others.machine * available - known - (r.others.byName['redis-server'] ?? 0));
}

const cpuMsPerRequest = (r: Measurement): number => (r.serverCpu / r.rps) * 1000;

/** Least-squares line through (items, CPU ms per request): the fixed cost and the cost per item. */
function costLine(points: Measurement[]): { fixedMs: number; perItemMs: number } | null {
  if (points.length < 2) return null;
  const xs = points.map((r) => r.first);
  const ys = points.map(cpuMsPerRequest);
  const meanX = xs.reduce((a, b) => a + b, 0) / xs.length;
  const meanY = ys.reduce((a, b) => a + b, 0) / ys.length;
  const sxx = xs.reduce((sum, x) => sum + (x - meanX) ** 2, 0);
  if (sxx === 0) return null;
  const perItemMs = xs.reduce((sum, x, i) => sum + (x - meanX) * (ys[i]! - meanY), 0) / sxx;
  return { fixedMs: meanY - perItemMs * meanX, perItemMs };
}

function printCostCurve(results: Measurement[]): void {
  console.log('');
  console.log('Cost curve: server CPU per request by page size');
  console.log(
    `${'streams'.padEnd(9)}${pad('vigil ms', 10)}${pad('plain ms', 10)}${pad('vigil/plain', 13)}` +
      `${pad('vigil req/s', 13)}${pad('plain req/s', 13)}`,
  );
  for (const first of settings.sizes) {
    const vigil = results.find((r) => r.first === first && r.target.key === 'vigil');
    const plain = results.find((r) => r.first === first && r.target.key === 'plain');
    const cell = (r: Measurement | undefined, value: (r: Measurement) => string): string =>
      r ? value(r) : 'n/a';
    console.log(
      `${String(first).padEnd(9)}${pad(
        cell(vigil, (r) => cpuMsPerRequest(r).toFixed(2)),
        10,
      )}` +
        `${pad(
          cell(plain, (r) => cpuMsPerRequest(r).toFixed(2)),
          10,
        )}` +
        `${pad(vigil && plain ? `${(cpuMsPerRequest(vigil) / cpuMsPerRequest(plain)).toFixed(2)}x` : 'n/a', 13)}` +
        `${pad(
          cell(vigil, (r) => String(Math.round(r.rps))),
          13,
        )}${pad(
          cell(plain, (r) => String(Math.round(r.rps))),
          13,
        )}`,
    );
  }
  for (const key of ['vigil', 'plain'] as const) {
    const line = costLine(results.filter((r) => r.target.key === key));
    if (line)
      console.log(
        `  slope ${key}: ${(line.perItemMs * 1000).toFixed(1)} µs of CPU per stream on the page, ` +
          `${line.fixedMs.toFixed(2)} ms fixed per request`,
      );
  }
}

function printReport(data: BenchData, results: Measurement[]): void {
  const available = os.availableParallelism();
  const label = (text: string): string => text.padEnd(20);
  console.log('');
  console.log(
    `GraphQL list of streams with templates (${data.streams} seeded), ${settings.connections} concurrent ` +
      `clients, ${settings.seconds} s per server and page size (after ${settings.warmupSeconds} s warm-up)`,
  );
  console.log(
    `${label('')}${pad('streams', 8)}${pad('req/s', 8)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('errors', 9)}` +
      `${pad('server CPU ms/req', 19)}`,
  );
  for (const r of results) {
    console.log(
      `${label(r.target.label)}${pad(r.first, 8)}${pad(Math.round(r.rps), 8)}${pad(r.p50, 9)}${pad(r.p99, 9)}` +
        `${pad(r.errors.total, 9)}${pad(cpuMsPerRequest(r).toFixed(2), 19)}`,
    );
  }
  for (const r of results) {
    if (r.errors.total > 0) {
      console.log(
        `  ${r.target.label} (${r.first} streams) errors: ${r.errors.non2xx} non-2xx, ${r.errors.socket} socket ` +
          `errors, ${r.errors.timeouts} timeouts, ${r.errors.wrongBody} 2xx with a different body; ` +
          `status codes ${JSON.stringify(r.statusCodes)}`,
      );
    }
  }

  const headline = results.filter((r) => r.first === LIST_PAGE_SIZE);
  const vigil = headline.find((r) => r.target.key === 'vigil');
  const plain = headline.find((r) => r.target.key === 'plain');
  if (vigil || plain) console.log(`At ${LIST_PAGE_SIZE} streams per page:`);
  if (vigil && plain) {
    const overhead = plain.rps / vigil.rps;
    const cpuRatio = cpuMsPerRequest(vigil) / cpuMsPerRequest(plain);
    console.log(
      `overhead (plain/vigil req/s): ${overhead.toFixed(2)}x   target <= ${TARGET_MAX_OVERHEAD}x   ` +
        `${overhead <= TARGET_MAX_OVERHEAD ? 'PASS' : 'MISS'}`,
    );
    console.log(
      `server CPU per request vigil/plain: ${cpuRatio.toFixed(2)}x   target <= ${TARGET_MAX_OVERHEAD}x   ` +
        `${cpuRatio <= TARGET_MAX_OVERHEAD ? 'PASS' : 'MISS'}`,
    );
    console.log(
      `  also: p50 vigil/plain ${(vigil.p50 / plain.p50).toFixed(2)}x, p99 vigil/plain ${(vigil.p99 / plain.p99).toFixed(2)}x`,
    );
    printBudget({
      bench: 'graphql-list',
      figures: [
        {
          name: 'plain/vigil req/s, 50 streams',
          value: overhead,
          target: TARGET_MAX_OVERHEAD,
          lowerIsBetter: true,
          unit: 'x',
        },
        {
          name: 'vigil/plain CPU per request',
          value: cpuRatio,
          target: TARGET_MAX_OVERHEAD,
          lowerIsBetter: true,
          unit: 'x',
        },
        {
          name: 'vigil CPU per request',
          value: cpuMsPerRequest(vigil),
          target: cpuMsPerRequest(plain) * TARGET_MAX_OVERHEAD,
          lowerIsBetter: true,
          unit: 'ms',
        },
      ],
    });
  }
  if (vigil) {
    // The API is one single-threaded Node process: it runs on (at most about) one core.
    const perCore = vigil.rps;
    console.log(
      `vigil req/s per core: ${Math.round(perCore)}   target >= ${TARGET_RPS_PER_CORE}   ` +
        `${perCore >= TARGET_RPS_PER_CORE ? 'PASS' : 'MISS'}`,
    );
    console.log(
      `  (one API process = one core; per CPU-second actually used by the API process: ` +
        `${Math.round(vigil.rps / vigil.serverCpu)} req)`,
    );
  }
  printCostCurve(results);

  console.log('');
  console.log(
    `CPU during the measured runs, in cores (${available} available; 1.00 = one core busy throughout):`,
  );
  console.log(
    `${label('')}${pad('server', 8)}${pad('loadgen', 9)}${pad('postgres', 10)}${pad('redis', 7)}` +
      `${pad('other', 7)}${pad('idle', 7)}`,
  );
  for (const r of results) {
    const [server, loadgen, postgres, redis, other, idle] = cpuColumns(r, available);
    console.log(
      `${label(`${r.target.label}, ${r.first}`)}${pad(server!, 8)}${pad(loadgen!, 9)}${pad(postgres!, 10)}${pad(redis!, 7)}` +
        `${pad(other!, 7)}${pad(idle!, 7)}`,
    );
  }

  console.log('');
  console.log('Notes:');
  console.log(
    `  - ${available} cores (os.availableParallelism), Node ${process.version}. The load generator (autocannon, ` +
      'in the parent process), PostgreSQL and Redis share these cores with the measured server process; ' +
      '"server" above 1.00 is V8 helper threads (GC). Both servers run with NODE_ENV=production.',
  );
  console.log(
    '  - vigil: the real API (Express, pino-http at level silent, metrics, Apollo, type-graphql, Prisma), ' +
      'authenticated with an ADMIN API key (Bearer) and rate-limited in Redis (limit set very high).',
  );
  console.log(
    '  - plain graphql-js: hand-built schema, graphql() per request (parse + validate + execute, no document ' +
      'cache), node:http, pg pool of 10, DataLoader, the same SQL as Vigil; authenticated by the same API key ' +
      '(sha256, a cache of verified keys), NO rate limiting, logging or metrics.',
  );
  console.log(
    `  - data: 1 tenant, ${data.templates} templates with ${data.versions} versions, ${data.streams} streams; ` +
      'both servers were checked to return the same data, and every measured response is compared with it.',
  );
  for (const r of results) {
    const other = otherCpu(r, available);
    if (other > 0.15) {
      console.log(
        `  - WARNING: other processes used ${cores(other)} cores during the ${r.target.label} run; ` +
          'its figures are disturbed (run again on a quiet machine).',
      );
    }
  }
  if (plain && plain.loadGeneratorCpu > 0.9) {
    console.log(
      `  - the load generator used ${cores(plain.loadGeneratorCpu)} cores during the baseline run: the baseline ` +
        'may be client-bound, so the overhead ratio would be a lower bound.',
    );
  }
}

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: settings.databaseUrl,
    REDIS_URL: settings.redisUrl,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_API_KEY_PER_MINUTE: '100000000',
    RATE_LIMIT_SESSION_PER_MINUTE: '100000000',
  };

  assertBenchDatabase(settings.databaseUrl);
  console.log(`Preparing ${settings.databaseUrl} and ${settings.redisUrl} (recreated) ...`);
  const data = await seedBenchData(env);

  const allTargets: Target[] = [
    {
      key: 'vigil',
      label: 'vigil (apollo+tg)',
      module: path.join(__dirname, 'support', 'vigil-api-server.js'),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${data.apiKey}` },
    },
    {
      key: 'plain',
      label: 'plain graphql-js',
      module: path.join(__dirname, 'support', 'plain-graphql-server.js'),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${data.apiKey}` },
    },
  ];
  const targets = allTargets.filter((target) => !settings.only || settings.only === target.key);

  const servers = new Map<Target['key'], ServerChild>();
  try {
    for (const target of targets) {
      const profile = settings.cpuProf === 'all' || settings.cpuProf === target.key;
      // Both servers run with the young generation the API is started with (Dockerfile, start:api).
      const execArgv = [
        ...NODE_FLAGS,
        ...(profile
          ? [
              '--cpu-prof',
              `--cpu-prof-dir=${settings.cpuProfDir}`,
              `--cpu-prof-name=${target.key}-${Date.now()}.cpuprofile`,
            ]
          : []),
      ];
      const server = await startServerChild(target.module, env, execArgv);
      servers.set(target.key, server);
      console.log(
        `  ${target.label}: pid ${server.pid}, port ${server.port}` +
          (profile ? `, CPU profile into ${settings.cpuProfDir}` : ''),
      );
    }
    const results: Measurement[] = [];
    for (const first of settings.sizes) {
      const answers = new Map<Target['key'], { body: string; data: unknown }>();
      for (const target of targets) {
        const url = `http://127.0.0.1:${servers.get(target.key)!.port}/graphql`;
        answers.set(target.key, await verify(url, target, first));
      }
      const vigilAnswer = answers.get('vigil');
      const plainAnswer = answers.get('plain');
      if (vigilAnswer && plainAnswer) {
        try {
          deepStrictEqual(plainAnswer.data, vigilAnswer.data);
        } catch (error) {
          throw new Error(
            `the two servers return different data (${first} streams): ${(error as Error).message}`,
          );
        }
      }
      console.log(
        `  ${first} streams: answers verified${vigilAnswer && plainAnswer ? ', the same on both servers' : ''}`,
      );
      // One server at a time under load; the other sits idle.
      for (const target of targets) {
        results.push(await measure(servers.get(target.key)!, target, answers.get(target.key)!.body, first));
      }
    }
    printReport(data, results);
  } finally {
    await Promise.allSettled([...servers.values()].map((server) => server.stop()));
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('Benchmark run failed:', error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
