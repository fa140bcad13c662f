import { DomainError, ErrorCode } from '../errors/domain-error';
import {
  analysisNotice,
  countsView,
  firstDayOfNextMonth,
  parseUsageMonth,
  sumCounters,
} from './usage.service';

const NOW = new Date('2026-11-21T14:23:06.000Z');

describe('parseUsageMonth', () => {
  it('defaults to the current UTC month', () => {
    expect(parseUsageMonth(undefined, NOW)).toBe('2026-11');
    expect(parseUsageMonth(null, new Date('2026-12-31T23:59:59.999Z'))).toBe('2026-12');
    expect(parseUsageMonth(null, new Date('2027-01-01T00:00:00.000Z'))).toBe('2027-01');
  });

  it('accepts YYYY-MM', () => {
    expect(parseUsageMonth('2025-01', NOW)).toBe('2025-01');
    expect(parseUsageMonth('2025-12', NOW)).toBe('2025-12');
  });

  it.each(['2025-13', '2025-00', '2025-1', '25-01', '2025/01', ' 2025-01', '2025-01-01', ''])(
    'refuses %j naming the field month',
    (month) => {
      try {
        parseUsageMonth(month, NOW);
        throw new Error('expected a refusal');
      } catch (error) {
        expect(error).toBeInstanceOf(DomainError);
        expect((error as DomainError).code).toBe(ErrorCode.BAD_USER_INPUT);
        expect((error as DomainError).details.fields).toEqual([
          { field: 'month', message: 'must be a month as YYYY-MM' },
        ]);
      }
    },
  );
});

describe('firstDayOfNextMonth', () => {
  it.each([
    ['2026-11', '2026-12-01'],
    ['2026-12', '2027-01-01'],
    ['2024-02', '2024-03-01'],
  ])('%s -> %s', (month, expected) => {
    expect(firstDayOfNextMonth(month)).toBe(expected);
  });
});

describe('analysisNotice', () => {
  it('is null while the budget is not used up this month', () => {
    expect(analysisNotice({ budgetExhaustedMonth: null, overBudgetAction: 'LOCAL' }, NOW)).toBeNull();
    expect(analysisNotice({ budgetExhaustedMonth: '2026-10', overBudgetAction: 'PAUSE' }, NOW)).toBeNull();
  });

  it('says windows are analysed locally until the first day of next month', () => {
    expect(analysisNotice({ budgetExhaustedMonth: '2026-11', overBudgetAction: 'LOCAL' }, NOW)).toBe(
      'The monthly token budget is used up: windows are analysed by the local detector until 2026-12-01',
    );
  });

  it('says the streams were paused, for PAUSE', () => {
    const notice = analysisNotice({ budgetExhaustedMonth: '2026-11', overBudgetAction: 'PAUSE' }, NOW);
    expect(notice).toMatch(
      /^The monthly token budget is used up: the tenant's streams were paused for that reason/,
    );
    expect(notice).toContain('2026-12-01');
  });
});

describe('sumCounters and countsView', () => {
  it('sums exactly beyond 2^53 before converting, and shows GPU time in seconds', () => {
    const big = 2n ** 53n;
    const counter = {
      windowsAnalysed: 2,
      windowsGated: 1,
      windowsFailed: 0,
      windowsDegraded: 3,
      framesSent: 16,
      visionTokens: 10n,
      promptTokens: big,
      completionTokens: 5n,
      reasoningTokens: 4n,
      estimatedTokens: 7n,
      gpuMs: 1500n,
    };
    const sum = sumCounters([counter, { ...counter, promptTokens: 1n, gpuMs: 250n }]);
    expect(sum.promptTokens).toBe(big + 1n);
    expect(countsView(sum)).toEqual({
      windowsAnalysed: 4,
      windowsGated: 2,
      windowsFailed: 0,
      windowsDegraded: 6,
      framesSent: 32,
      visionTokens: 20,
      promptTokens: Number(big + 1n),
      completionTokens: 10,
      reasoningTokens: 8,
      tokensEstimated: 14,
      gpuSeconds: 1.75,
    });
  });

  it('answers zeros for no counters', () => {
    expect(countsView(sumCounters([]))).toMatchObject({ windowsAnalysed: 0, promptTokens: 0, gpuSeconds: 0 });
  });
});
