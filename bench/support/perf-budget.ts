/**
 * The perf budget's protocol between a benchmark and the runner that collects budgets (CI prints
 * them; a timing never fails a run). A benchmark run with BENCH_QUICK=1 uses settings that take
 * seconds, not minutes, and ends with one `perf-budget {json}` line per budget it measured.
 */

export const PERF_BUDGET_PREFIX = 'perf-budget ';

/** One ratio or figure against its target. */
export interface BudgetFigure {
  name: string;
  value: number;
  target: number;
  /** True when smaller is better (an overhead ratio, ms per request); false for throughput. */
  lowerIsBetter: boolean;
  unit: string;
}

export interface BudgetReport {
  bench: string;
  figures: BudgetFigure[];
}

/** Whether the run asked for the quick settings. */
export const quickRun = (): boolean => process.env.BENCH_QUICK === '1';

export function meetsTarget(figure: BudgetFigure): boolean {
  return figure.lowerIsBetter ? figure.value <= figure.target : figure.value >= figure.target;
}

/** Prints the line the perf-budget runner collects. */
export function printBudget(report: BudgetReport): void {
  console.log(`${PERF_BUDGET_PREFIX}${JSON.stringify(report)}`);
}

/** The budget reports in a benchmark's output, in order; a line that does not parse is an error. */
export function budgetReportsIn(output: string): BudgetReport[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith(PERF_BUDGET_PREFIX))
    .map((line) => JSON.parse(line.slice(PERF_BUDGET_PREFIX.length)) as BudgetReport);
}
