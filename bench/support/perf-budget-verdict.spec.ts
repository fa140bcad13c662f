import { PERF_BUDGET_PREFIX, type BudgetReport } from './perf-budget';
import { type BenchRun, budgetRows, judgeRun, readBudgets, runnerExitCode } from './perf-budget-verdict';

const fanout: BudgetReport = {
  bench: 'subscription-fanout',
  figures: [
    {
      name: 'deliveries per API CPU-second',
      value: 31_000,
      target: 40_000,
      lowerIsBetter: false,
      unit: '/s',
    },
    { name: 'p99 delivery latency', value: 46, target: 100, lowerIsBetter: true, unit: 'ms' },
  ],
};

const line = (report: unknown): string => `${PERF_BUDGET_PREFIX}${JSON.stringify(report)}`;

const run = (stdout: string, end: Partial<BenchRun> = {}): BenchRun => ({
  bench: 'subscription-fanout',
  exitCode: 0,
  signal: null,
  timedOut: false,
  stdout,
  wallSeconds: 12.34,
  ...end,
});

describe('readBudgets', () => {
  it('reads every budget line among the bench output, in order', () => {
    const rules = { ...fanout, bench: 'rules-engine' };
    const output = ['table', line(fanout), 'perf-budget-ish text', line(rules), ''].join('\r\n');
    expect(readBudgets(output)).toEqual({ reports: [fanout, rules] });
  });

  it('names a line whose JSON does not parse', () => {
    const result = readBudgets(`${PERF_BUDGET_PREFIX}{"bench": "x", "figures": [`);
    expect(result).toEqual({ problem: expect.stringContaining('unparsable budget line') });
  });

  it('refuses a figure that is not a finite number (NaN prints as null)', () => {
    const broken = { ...fanout, figures: [{ ...fanout.figures[0]!, value: null }] };
    expect(readBudgets(line(broken))).toEqual({
      problem: expect.stringContaining('budget line without a valid report'),
    });
  });

  it('refuses a report without figures', () => {
    expect(readBudgets(line({ bench: 'x', figures: [] }))).toHaveProperty('problem');
  });
});

describe('judgeRun and runnerExitCode', () => {
  it('a missed target is a MISS in the table, not a broken bench', () => {
    const verdict = judgeRun(run(line(fanout)));
    expect(verdict.status).toBe('ok');
    expect(budgetRows([verdict])).toEqual([
      ['subscription-fanout', '12.3 s', 'deliveries per API CPU-second', '31,000 /s', '>= 40,000 /s', 'MISS'],
      ['', '', 'p99 delivery latency', '46 ms', '<= 100 ms', 'PASS'],
    ]);
    expect(runnerExitCode([verdict])).toBe(0);
  });

  it('a broken budget line breaks the bench even when it exits 0', () => {
    const verdict = judgeRun(run(`${line(fanout)}\n${PERF_BUDGET_PREFIX}not json`));
    expect(verdict.status).toBe('broken');
    expect(verdict.problem).toContain('unparsable budget line');
    expect(runnerExitCode([verdict])).toBe(1);
  });

  it('a bench without a budget line that exits 0 is reported, not broken', () => {
    const verdict = judgeRun(run('figures without the protocol\n', { bench: 'inference-pool' }));
    expect(verdict.status).toBe('no budget printed');
    expect(budgetRows([verdict])).toEqual([['inference-pool', '12.3 s', '-', '-', '-', 'no budget printed']]);
    expect(runnerExitCode([verdict])).toBe(0);
  });

  it('a non-zero exit breaks the bench, with or without its budget lines', () => {
    const silent = judgeRun(run('Error: connect ECONNREFUSED\n', { exitCode: 1 }));
    const printed = judgeRun(run(line(fanout), { exitCode: 2 }));
    expect(silent).toMatchObject({ status: 'broken', problem: 'exited with code 1' });
    expect(printed).toMatchObject({ status: 'broken', problem: 'exited with code 2', reports: [fanout] });
    expect(budgetRows([printed]).at(-1)).toEqual(['', '', '-', '-', '-', 'BROKEN: exited with code 2']);
  });

  it('a bench stopped for its time or ended by a signal is broken', () => {
    expect(judgeRun(run('', { exitCode: null, signal: 'SIGTERM', timedOut: true })).problem).toContain(
      'over its time allowance',
    );
    expect(judgeRun(run('', { exitCode: null, signal: 'SIGKILL' })).problem).toBe('ended by SIGKILL');
  });

  it('one broken bench among passing ones fails the run', () => {
    const verdicts = [judgeRun(run(line(fanout))), judgeRun(run('', { exitCode: 1 }))];
    expect(runnerExitCode(verdicts)).toBe(1);
  });
});
