/**
 * The perf budget: every benchmark that speaks the perf-budget protocol (support/perf-budget.ts),
 * run one after the other with BENCH_QUICK=1, then one table of their figures against their
 * targets (PASS/MISS) and each bench's wall time. Takes about three minutes after the build.
 *
 *   npm run perf:budget          (builds, then: node dist/bench/perf-budget.main.js)
 *
 * Exits non-zero only when a bench is broken: it exits non-zero, is stopped for running longer than
 * BENCH_BUDGET_TIMEOUT_SECONDS (default 300), or prints a budget line that does not parse. A missed
 * target is printed, never a failure: timings on a shared machine move from run to run.
 *
 * Stores: the benches share one database and one Redis db, BENCH_DATABASE_URL (default
 * postgresql://postgres@127.0.0.1:5432/vigil_bench_budget; each bench DROPS and recreates it) and
 * BENCH_REDIS_URL (default redis://127.0.0.1:6379/12; flushed); DATABASE_URL and REDIS_URL are set
 * to the same, so no bench reaches another store through them. They never overlap: each bench runs
 * in a process group of its own, and whatever of that group outlives the bench is killed before the
 * next one starts.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { printTable } from './support/bench-output';
import { type BenchRun, budgetRows, judgeRun, runnerExitCode } from './support/perf-budget-verdict';

/** Benchmarks in the budget, in the order they run (compiled files beside this one). */
const BENCHES = [
  'graphql-list-streams.bench.js',
  'inference-pool.bench.js',
  'subscription-fanout.bench.js',
  'rules-engine.bench.js',
];

const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/vigil_bench_budget';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379/12';
const STOP_GRACE_MS = 5_000;

function timeoutSeconds(): number {
  const value = Number(process.env.BENCH_BUDGET_TIMEOUT_SECONDS ?? 300);
  if (!Number.isFinite(value) || value <= 0) throw new Error('BENCH_BUDGET_TIMEOUT_SECONDS must be positive');
  return value;
}

function budgetEnv(): NodeJS.ProcessEnv {
  const databaseUrl = process.env.BENCH_DATABASE_URL || DEFAULT_DATABASE_URL;
  const redisUrl = process.env.BENCH_REDIS_URL || DEFAULT_REDIS_URL;
  return {
    ...process.env,
    BENCH_QUICK: '1',
    BENCH_DATABASE_URL: databaseUrl,
    BENCH_REDIS_URL: redisUrl,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
  };
}

/** Signals a whole process group; the group may already be gone. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing of the group is left.
  }
}

let running: number | undefined;

/** Runs one bench in a process group of its own, echoing its output and keeping its stdout. */
function runBench(file: string, env: NodeJS.ProcessEnv, allowanceSeconds: number): Promise<BenchRun> {
  const bench = file.replace(/\.bench\.js$/, '');
  console.log(`\n== ${bench} (BENCH_QUICK=1)\n`);
  const began = performance.now();
  const child = spawn(process.execPath, [path.join(__dirname, file)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = child.pid;
  running = pid;
  let stdout = '';
  // Decoded as a stream, so a character split between two chunks (the µ of a unit) stays whole.
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    process.stdout.write(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (pid === undefined) return;
    signalGroup(pid, 'SIGTERM');
    setTimeout(() => signalGroup(pid, 'SIGKILL'), STOP_GRACE_MS).unref();
  }, allowanceSeconds * 1000);
  return new Promise((resolve) => {
    let ended: { exitCode: number | null; signal: string | null } | undefined;
    let closeWait: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (!ended) return;
      clearTimeout(timer);
      clearTimeout(closeWait);
      running = undefined;
      resolve({ bench, ...ended, timedOut, stdout, wallSeconds: (performance.now() - began) / 1000 });
      ended = undefined;
    };
    child.once('error', (error) => {
      process.stderr.write(`${bench}: ${error.message}\n`);
      ended = { exitCode: 1, signal: null };
      finish();
    });
    child.once('exit', (exitCode, signal) => {
      ended = { exitCode, signal };
      // Children the bench left behind (an API, a worker, a client) would hold the stores the next
      // bench recreates, and the pipes its last lines come through: the group goes with the bench.
      if (pid !== undefined) signalGroup(pid, 'SIGKILL');
      // A pipe held by a process outside the group must not keep the runner waiting.
      closeWait = setTimeout(finish, STOP_GRACE_MS);
    });
    // Every line is read once the pipes close.
    child.once('close', finish);
  });
}

async function main(): Promise<void> {
  const env = budgetEnv();
  const allowance = timeoutSeconds();
  console.log(
    `Perf budget: ${BENCHES.length} benchmarks with BENCH_QUICK=1, one after the other ` +
      `(database ${env.BENCH_DATABASE_URL}, Redis ${env.BENCH_REDIS_URL}, ${allowance} s allowed each)`,
  );
  const began = performance.now();
  const verdicts = [];
  for (const file of BENCHES) verdicts.push(judgeRun(await runBench(file, env, allowance)));

  console.log(`\nPerf budget (${((performance.now() - began) / 1000).toFixed(0)} s in all)\n`);
  printTable(['bench', 'wall time', 'figure', 'value', 'target', 'verdict'], budgetRows(verdicts));
  const broken = verdicts.filter((verdict) => verdict.status === 'broken');
  console.log(
    broken.length > 0
      ? `\n${broken.length} bench(es) broken: ${broken.map((verdict) => verdict.bench).join(', ')}`
      : '\nNo bench broken (a MISS is reported, never a failure)',
  );
  process.exitCode = runnerExitCode(verdicts);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (running !== undefined) signalGroup(running, 'SIGKILL');
    process.exit(130);
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
