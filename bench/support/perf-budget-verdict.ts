/**
 * The perf-budget runner's judgement of one benchmark run, apart from the processes it runs so it
 * can be specified on its own. A bench is broken when it exits non-zero (or is stopped) or prints a
 * budget line that does not parse; a figure that misses its target is reported as MISS and is never
 * a failure, because timings on a shared machine move from run to run.
 */
import {
  budgetReportsIn,
  meetsTarget,
  PERF_BUDGET_PREFIX,
  type BudgetFigure,
  type BudgetReport,
} from './perf-budget';

export interface BenchRun {
  bench: string;
  /** The exit code, or null when a signal ended it. */
  exitCode: number | null;
  signal: string | null;
  /** True when the runner stopped it for taking longer than its allowance. */
  timedOut: boolean;
  stdout: string;
  wallSeconds: number;
}

export type BenchStatus = 'ok' | 'no budget printed' | 'broken';

export interface BenchVerdict {
  bench: string;
  status: BenchStatus;
  /** Why the bench is broken; undefined otherwise. */
  problem?: string;
  reports: BudgetReport[];
  wallSeconds: number;
}

const isFigure = (value: unknown): value is BudgetFigure => {
  const figure = value as Partial<BudgetFigure> | null;
  return (
    typeof figure === 'object' &&
    figure !== null &&
    typeof figure.name === 'string' &&
    typeof figure.value === 'number' &&
    Number.isFinite(figure.value) &&
    typeof figure.target === 'number' &&
    Number.isFinite(figure.target) &&
    typeof figure.lowerIsBetter === 'boolean' &&
    typeof figure.unit === 'string'
  );
};

const isReport = (value: unknown): value is BudgetReport => {
  const report = value as Partial<BudgetReport> | null;
  return (
    typeof report === 'object' &&
    report !== null &&
    typeof report.bench === 'string' &&
    report.bench.length > 0 &&
    Array.isArray(report.figures) &&
    report.figures.length > 0 &&
    report.figures.every(isFigure)
  );
};

const shortened = (line: string): string => (line.length > 120 ? `${line.slice(0, 117)}...` : line);

/**
 * The budget reports in a bench's standard output, or the first line that is not one: JSON that
 * does not parse, or parses to something other than a report with finite figures (NaN from an
 * empty measurement prints as null and would otherwise read as a figure of 0).
 */
export function readBudgets(stdout: string): { reports: BudgetReport[] } | { problem: string } {
  const reports: BudgetReport[] = [];
  for (const line of stdout.split('\n')) {
    const trimmed = line.replace(/\r$/, '');
    if (!trimmed.startsWith(PERF_BUDGET_PREFIX)) continue;
    let parsed: unknown;
    try {
      parsed = budgetReportsIn(trimmed)[0];
    } catch (error) {
      return { problem: `unparsable budget line (${(error as Error).message}): ${shortened(trimmed)}` };
    }
    if (!isReport(parsed)) return { problem: `budget line without a valid report: ${shortened(trimmed)}` };
    reports.push(parsed);
  }
  return { reports };
}

function endProblem(run: BenchRun): string | undefined {
  if (run.timedOut) return `stopped after ${run.wallSeconds.toFixed(0)} s (over its time allowance)`;
  if (run.signal) return `ended by ${run.signal}`;
  if (run.exitCode !== 0) return `exited with code ${run.exitCode}`;
  return undefined;
}

export function judgeRun(run: BenchRun): BenchVerdict {
  const budgets = readBudgets(run.stdout);
  const reports = 'reports' in budgets ? budgets.reports : [];
  const problem = endProblem(run) ?? ('problem' in budgets ? budgets.problem : undefined);
  const base = { bench: run.bench, reports, wallSeconds: run.wallSeconds };
  if (problem) return { ...base, status: 'broken', problem };
  return { ...base, status: reports.length > 0 ? 'ok' : 'no budget printed' };
}

/** Whole numbers with thousands separators; others to three significant digits (at least two decimals). */
const formatted = (value: number): string =>
  Number.isInteger(value)
    ? value.toLocaleString('en-US')
    : value.toLocaleString('en-US', {
        maximumSignificantDigits: Math.max(3, Math.ceil(Math.log10(Math.abs(value) + 1)) + 2),
      });

/** The table the runner prints: bench, wall time, figure, value, target, verdict. */
export function budgetRows(verdicts: BenchVerdict[]): string[][] {
  const rows: string[][] = [];
  for (const verdict of verdicts) {
    const wall = `${verdict.wallSeconds.toFixed(1)} s`;
    const figures = verdict.reports.flatMap((report) => report.figures);
    figures.forEach((figure, index) =>
      rows.push([
        index === 0 ? verdict.bench : '',
        index === 0 ? wall : '',
        figure.name,
        `${formatted(figure.value)} ${figure.unit}`,
        `${figure.lowerIsBetter ? '<=' : '>='} ${formatted(figure.target)} ${figure.unit}`,
        meetsTarget(figure) ? 'PASS' : 'MISS',
      ]),
    );
    if (verdict.status === 'ok') continue;
    const status = verdict.status === 'broken' ? `BROKEN: ${verdict.problem}` : 'no budget printed';
    rows.push([
      figures.length === 0 ? verdict.bench : '',
      figures.length === 0 ? wall : '',
      '-',
      '-',
      '-',
      status,
    ]);
  }
  return rows;
}

/** Non-zero only when a bench is broken; a missed target never fails the run. */
export function runnerExitCode(verdicts: BenchVerdict[]): number {
  return verdicts.some((verdict) => verdict.status === 'broken') ? 1 : 0;
}
