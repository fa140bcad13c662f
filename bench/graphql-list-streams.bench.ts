/**
 * GraphQL throughput and latency of a list query: 50 streams with their templates and active
 * versions, answered by one Vigil API process under 50 concurrent clients, compared in the same run
 * with the same query answered by plain graphql-js over the same data.
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
 * BENCH_CPU_PROF (vigil | plain | all: write V8 CPU profiles of the server children into
 * BENCH_CPU_PROF_DIR, default <tmpdir>/vigil-bench-profiles).
 *
 * Exits non-zero only when the run itself is broken (a server fails, answers wrongly, or the two
 * servers disagree on the data); a missed target is reported, not an error.
 */
import { deepStrictEqual } from 'node:assert';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { assertBenchDatabase, BenchData, seedBenchData } from './support/bench-data';
import { cpuBetween, CpuShares, snapshotCpu } from './support/cpu-sampler';
import { LIST_STREAMS_QUERY, STREAM_COUNT } from './support/protocol';
import { ServerChild, startServerChild } from './support/server-child';

const TARGET_RPS_PER_CORE = 1500;
const TARGET_MAX_OVERHEAD = 1.5;

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

function readSettings() {
  return {
    databaseUrl: process.env.BENCH_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/vigil_bench',
    redisUrl: process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/14',
    seconds: envNumber('BENCH_SECONDS', 15),
    warmupSeconds: envNumber('BENCH_WARMUP_SECONDS', 3),
    connections: Math.round(envNumber('BENCH_CONNECTIONS', 50)),
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

/** One request; fails loudly unless it is a 200 with all STREAM_COUNT streams, templates and versions. */
async function checkedRequest(url: string, target: Target): Promise<{ body: string; data: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: target.headers,
    body: JSON.stringify({ query: LIST_STREAMS_QUERY }),
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
  if (edges.length !== STREAM_COUNT) throw problem(`expected ${STREAM_COUNT} edges, got ${edges.length}`);
  const incomplete = edges.filter((edge) => !edge.node?.template?.activeVersion).length;
  if (incomplete > 0) throw problem(`${incomplete} streams lack a template or its active version`);
  if (parsed.data?.streams?.pageInfo?.hasNextPage !== false) throw problem('expected hasNextPage false');
  return { body, data: parsed.data };
}

/** Checks a server's answer and returns the exact body every measured response must repeat. */
async function verify(url: string, target: Target): Promise<{ body: string; data: unknown }> {
  const first = await checkedRequest(url, target);
  const second = await checkedRequest(url, target);
  if (first.body !== second.body) {
    throw new Error(`${target.label}: two identical requests got different bodies; cannot verify bodies`);
  }
  return first;
}

function loadOptions(url: string, target: Target, seconds: number, expectBody: string): autocannon.Options {
  return {
    url,
    method: 'POST',
    headers: target.headers,
    body: JSON.stringify({ query: LIST_STREAMS_QUERY }),
    connections: settings.connections,
    duration: seconds,
    expectBody,
  };
}

async function measure(server: ServerChild, target: Target, expectBody: string): Promise<Measurement> {
  const url = `http://127.0.0.1:${server.port}/graphql`;
  process.stdout.write(`  ${target.label}: warm-up ${settings.warmupSeconds} s, `);
  await autocannon(loadOptions(url, target, settings.warmupSeconds, expectBody));
  process.stdout.write(`measuring ${settings.seconds} s ... `);

  const serverStart = await server.cpuMicros();
  const selfStart = process.cpuUsage();
  const machineStart = snapshotCpu();
  const wallStart = process.hrtime.bigint();
  const result = await autocannon(loadOptions(url, target, settings.seconds, expectBody));
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

function printReport(data: BenchData, results: Measurement[]): void {
  const available = os.availableParallelism();
  const label = (text: string): string => text.padEnd(20);
  console.log('');
  console.log(
    `GraphQL list of ${STREAM_COUNT} streams with templates, ${settings.connections} concurrent clients, ` +
      `${settings.seconds} s (after ${settings.warmupSeconds} s warm-up)`,
  );
  console.log(
    `${label('')}${pad('req/s', 8)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('errors', 9)}` +
      `${pad('server CPU ms/req', 19)}`,
  );
  for (const r of results) {
    console.log(
      `${label(r.target.label)}${pad(Math.round(r.rps), 8)}${pad(r.p50, 9)}${pad(r.p99, 9)}` +
        `${pad(r.errors.total, 9)}${pad(((r.serverCpu / r.rps) * 1000).toFixed(2), 19)}`,
    );
  }
  for (const r of results) {
    if (r.errors.total > 0) {
      console.log(
        `  ${r.target.label} errors: ${r.errors.non2xx} non-2xx, ${r.errors.socket} socket errors, ` +
          `${r.errors.timeouts} timeouts, ${r.errors.wrongBody} 2xx with a different body; ` +
          `status codes ${JSON.stringify(r.statusCodes)}`,
      );
    }
  }

  const vigil = results.find((r) => r.target.key === 'vigil');
  const plain = results.find((r) => r.target.key === 'plain');
  if (vigil && plain) {
    const overhead = plain.rps / vigil.rps;
    console.log(
      `overhead (plain/vigil req/s): ${overhead.toFixed(2)}x   target <= ${TARGET_MAX_OVERHEAD}x   ` +
        `${overhead <= TARGET_MAX_OVERHEAD ? 'PASS' : 'MISS'}`,
    );
    console.log(
      `  also: server CPU per request vigil/plain ${(vigil.serverCpu / vigil.rps / (plain.serverCpu / plain.rps)).toFixed(2)}x, ` +
        `p50 vigil/plain ${(vigil.p50 / plain.p50).toFixed(2)}x, p99 vigil/plain ${(vigil.p99 / plain.p99).toFixed(2)}x`,
    );
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
      `${label(r.target.label)}${pad(server!, 8)}${pad(loadgen!, 9)}${pad(postgres!, 10)}${pad(redis!, 7)}` +
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
    const answers = new Map<Target['key'], { body: string; data: unknown }>();
    for (const target of targets) {
      const profile = settings.cpuProf === 'all' || settings.cpuProf === target.key;
      const execArgv = profile
        ? [
            '--cpu-prof',
            `--cpu-prof-dir=${settings.cpuProfDir}`,
            `--cpu-prof-name=${target.key}-${Date.now()}.cpuprofile`,
          ]
        : [];
      const server = await startServerChild(target.module, env, execArgv);
      servers.set(target.key, server);
      answers.set(target.key, await verify(`http://127.0.0.1:${server.port}/graphql`, target));
      console.log(
        `  ${target.label}: pid ${server.pid}, port ${server.port}, answer verified` +
          (profile ? `, CPU profile into ${settings.cpuProfDir}` : ''),
      );
    }
    const vigilAnswer = answers.get('vigil');
    const plainAnswer = answers.get('plain');
    if (vigilAnswer && plainAnswer) {
      try {
        deepStrictEqual(plainAnswer.data, vigilAnswer.data);
      } catch (error) {
        throw new Error(`the two servers return different data: ${(error as Error).message}`);
      }
      console.log('  both servers return the same data');
    }

    // One server at a time under load; the other sits idle.
    const results: Measurement[] = [];
    for (const target of targets) {
      results.push(await measure(servers.get(target.key)!, target, answers.get(target.key)!.body));
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
