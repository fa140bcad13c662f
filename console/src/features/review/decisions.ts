export type ModeratorDecision = 'DISMISS' | 'CONFIRM_VIOLATION' | 'ESCALATE' | 'STOP_STREAM';

export const DECISION_LABELS: Record<ModeratorDecision, string> = {
  DISMISS: 'Dismiss',
  CONFIRM_VIOLATION: 'Confirm violation',
  ESCALATE: 'Escalate',
  STOP_STREAM: 'Stop stream',
};

/** Decision keys, as shown on screen; with Shift the next item of the queue is claimed after. */
export const DECISION_KEYS: [string, ModeratorDecision][] = [
  ['d', 'DISMISS'],
  ['v', 'CONFIRM_VIOLATION'],
  ['e', 'ESCALATE'],
  ['s', 'STOP_STREAM'],
];

/** The reason recorded when the moderator gives none. */
export const DEFAULT_REASONS: Record<ModeratorDecision, string> = {
  DISMISS: 'No violation in the keyframes',
  CONFIRM_VIOLATION: 'Violation visible in the keyframes',
  ESCALATE: 'Needs a senior moderator',
  STOP_STREAM: 'Stream stopped: ongoing violation',
};

/** Statuses a moderator may claim (the API's rule): escalated and held items too. */
export function isClaimable(status: string): boolean {
  return status === 'OPEN' || status === 'HELD' || status === 'ESCALATED';
}
