import { formatCountdown, formatOverdue } from '../../lib/format';
import { describeDeadline, type DeadlineItem } from './deadline';

const NOW = Date.parse('2026-12-07T12:00:00.000Z');
const at = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();
const item = (over: Partial<DeadlineItem>): DeadlineItem => ({
  status: 'OPEN',
  queue: 'lawn',
  claimDueAt: at(252_000),
  decideDueAt: null,
  streamLive: true,
  ...over,
});
const NONE = new Set<string>();

describe('countdowns people read', () => {
  it('never counts below zero and says overdue in words', () => {
    expect(formatCountdown(34_400)).toBe('34 s');
    expect(formatCountdown(252_000)).toBe('4m 12s');
    expect(formatCountdown(3_900_000)).toBe('1h 05m');
    expect(formatCountdown(-34_000)).toBe('0 s');
    expect(formatOverdue(34_000)).toBe('overdue 34 s');
    expect(formatOverdue(125_000)).toBe('overdue 2m 05s');
  });

  it('names the deadline that applies: to claim while waiting, to decide once claimed', () => {
    expect(describeDeadline(item({}), NOW, NONE)).toEqual({
      text: 'Claim within 4m 12s',
      overdue: false,
      streamEnded: false,
    });
    expect(
      describeDeadline(
        item({ status: 'CLAIMED', claimDueAt: at(-600_000), decideDueAt: at(60_000) }),
        NOW,
        NONE,
      ).text,
    ).toBe('Decide within 1m 00s');
    expect(describeDeadline(item({ claimDueAt: at(-34_000) }), NOW, NONE)).toEqual({
      text: 'Claim overdue 34 s',
      overdue: true,
      streamEnded: false,
    });
    expect(describeDeadline(item({ status: 'RESOLVED' }), NOW, NONE).text).toBeNull();
    expect(
      describeDeadline(item({ status: 'ESCALATED', claimDueAt: at(-5_000) }), NOW, NONE).text,
    ).toBeNull();
  });

  it('marks items of a stream no longer live, and shows no countdown where the queue pauses them', () => {
    const ended = item({ streamLive: false, claimDueAt: at(-90_000) });
    expect(describeDeadline(ended, NOW, new Set(['lawn']))).toEqual({
      text: 'Paused: stream ended',
      overdue: false,
      streamEnded: true,
    });
    // A queue that escalates regardless keeps counting.
    expect(describeDeadline(ended, NOW, new Set(['walkway']))).toEqual({
      text: 'Claim overdue 1m 30s',
      overdue: true,
      streamEnded: true,
    });
  });
});
