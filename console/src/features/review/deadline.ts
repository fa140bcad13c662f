import { formatCountdown, formatOverdue } from '../../lib/format';

/** What a review item's deadline says, in words a moderator under time pressure reads at a glance. */
export interface DeadlineView {
  /** "Claim within 4m 12s", "Decide overdue 34 s", "Paused: stream ended"; null when none applies. */
  text: string | null;
  overdue: boolean;
  /** The item's stream is stopped or ended. */
  streamEnded: boolean;
}

export interface DeadlineItem {
  status: string;
  queue: string;
  claimDueAt: string | null;
  decideDueAt: string | null;
  streamLive: boolean;
}

/**
 * The deadline that applies to an item now, named: the time to claim while it waits, the time to
 * decide once claimed. An item of a stream no longer live is marked so; in a queue whose policy is
 * to pause then (whenStreamNotLive PAUSE) its deadlines do not run, so no countdown is shown.
 */
export function describeDeadline(
  item: DeadlineItem,
  now: number,
  pausedQueues: ReadonlySet<string>,
): DeadlineView {
  const streamEnded = !item.streamLive;
  if (item.status === 'RESOLVED') return { text: null, overdue: false, streamEnded };
  if (streamEnded && pausedQueues.has(item.queue))
    return { text: 'Paused: stream ended', overdue: false, streamEnded };
  const claimed = item.status === 'CLAIMED';
  const due = claimed ? item.decideDueAt : item.claimDueAt;
  // Escalated and held items are past their clock: the escalation already happened.
  if (!due || item.status === 'ESCALATED' || item.status === 'HELD')
    return { text: null, overdue: false, streamEnded };
  const left = Date.parse(due) - now;
  const verb = claimed ? 'Decide' : 'Claim';
  return left >= 0
    ? { text: `${verb} within ${formatCountdown(left)}`, overdue: false, streamEnded }
    : { text: `${verb} ${formatOverdue(-left)}`, overdue: true, streamEnded };
}
