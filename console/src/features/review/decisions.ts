export type ModeratorDecision = 'DISMISS' | 'CONFIRM_VIOLATION' | 'ESCALATE' | 'STOP_STREAM';

export const DECISION_LABELS: Record<ModeratorDecision, string> = {
  DISMISS: 'Dismiss',
  CONFIRM_VIOLATION: 'Confirm violation',
  ESCALATE: 'Escalate',
  STOP_STREAM: 'Stop stream',
};

/** Keys that choose a decision (they never record one: a reason and a submit follow). */
export const DECISION_KEYS: [string, ModeratorDecision][] = [
  ['d', 'DISMISS'],
  ['v', 'CONFIRM_VIOLATION'],
  ['e', 'ESCALATE'],
  ['s', 'STOP_STREAM'],
];

/**
 * Decisions that cannot be taken back once sent (a confirmed violation goes to the partner and
 * the report; a stop ends the stream): the console asks for confirmation before sending them.
 * The others wait out a short undo window before they are sent.
 */
export function needsConfirmation(decision: ModeratorDecision): boolean {
  return decision === 'CONFIRM_VIOLATION' || decision === 'STOP_STREAM';
}

/** How long a dismissal or an escalation can be undone before it is sent. */
export const UNDO_SECONDS = 5;

/** Statuses a moderator may claim (the API's rule): escalated and held items too. */
export function isClaimable(status: string): boolean {
  return status === 'OPEN' || status === 'HELD' || status === 'ESCALATED';
}

/** A policy reason as the decision panel offers it. */
export interface PolicyReasonChoice {
  id: string;
  label: string;
  policy: string;
  /** The decisions it may justify; empty means any. */
  decisions: string[];
}

/** Whether a listed reason may justify the decision (the API refuses the others). */
export function reasonFits(reason: PolicyReasonChoice, decision: ModeratorDecision): boolean {
  return reason.decisions.length === 0 || reason.decisions.includes(decision);
}

/** What the moderator chose as the reason: a listed one, or their own words. */
export type ChosenReason = { kind: 'listed'; reason: PolicyReasonChoice } | { kind: 'own'; text: string };

/** The reason as a sentence for the confirmation and the undo notice. */
export function describeReason(chosen: ChosenReason): string {
  return chosen.kind === 'listed' ? chosen.reason.label : `“${chosen.text}” (your own words)`;
}
