import { useSyncExternalStore } from 'react';
import { toast } from 'sonner';
import { DECISION_LABELS, describeReason, UNDO_SECONDS } from './decisions';
import type { DecisionDraft } from './use-decide-review-item';

/** A decision waiting out its undo window: nothing has been sent to the API yet. */
export interface PendingDecision {
  draft: DecisionDraft;
  /** What the item is, for the notice ("Person on the lawn"). */
  title: string;
  sendAt: number;
}

interface Entry extends PendingDecision {
  timer: ReturnType<typeof setTimeout>;
  ticker: ReturnType<typeof setInterval>;
  onUndone: () => void;
}

/**
 * Dismissals and escalations wait a few seconds before they are sent, so a slip of the key can be
 * taken back. The window lives outside any one screen: a moderator who moves on to the next item
 * still sees the notice with its Undo, and the decision is sent when the window ends. The API
 * itself has no undo; this is the console's own delay.
 */
const pending = new Map<string, Entry>();
const listeners = new Set<() => void>();
let snapshot: readonly PendingDecision[] = [];

function changed() {
  snapshot = [...pending.values()].map(({ draft, title, sendAt }) => ({ draft, title, sendAt }));
  for (const listener of listeners) listener();
}

const toastId = (reviewItemId: string) => `pending-${reviewItemId}`;

function notice(entry: Entry) {
  const left = Math.max(0, Math.ceil((entry.sendAt - Date.now()) / 1000));
  toast(`${DECISION_LABELS[entry.draft.decision]} in ${left} s: ${entry.title}`, {
    id: toastId(entry.draft.reviewItemId),
    description: `Reason: ${describeReason(entry.draft.reason)}. Sent when this closes; until then nothing is recorded.`,
    duration: Infinity,
    closeButton: false,
    action: { label: 'Undo', onClick: () => undoDecision(entry.draft.reviewItemId) },
  });
}

/**
 * Holds `draft` for UNDO_SECONDS, then sends it with `send`. A second decision on the same item
 * replaces the first (whose window is then over without sending).
 */
export function holdDecision(
  draft: DecisionDraft,
  title: string,
  send: (draft: DecisionDraft) => Promise<unknown>,
  onUndone: () => void,
): void {
  undoDecision(draft.reviewItemId, { quiet: true });
  const sendAt = Date.now() + UNDO_SECONDS * 1000;
  const entry: Entry = {
    draft,
    title,
    sendAt,
    onUndone,
    timer: setTimeout(() => {
      const current = pending.get(draft.reviewItemId);
      if (current !== entry) return;
      clearInterval(entry.ticker);
      pending.delete(draft.reviewItemId);
      toast.dismiss(toastId(draft.reviewItemId));
      changed();
      void send(draft);
    }, UNDO_SECONDS * 1000),
    ticker: setInterval(() => notice(entry), 1000),
  };
  pending.set(draft.reviewItemId, entry);
  notice(entry);
  changed();
}

/** Takes back a decision still in its window: nothing is sent, the item stays claimed. */
export function undoDecision(reviewItemId: string, options: { quiet?: boolean } = {}): boolean {
  const entry = pending.get(reviewItemId);
  if (!entry) return false;
  clearTimeout(entry.timer);
  clearInterval(entry.ticker);
  pending.delete(reviewItemId);
  toast.dismiss(toastId(reviewItemId));
  changed();
  if (!options.quiet) {
    toast.info(`Undone: nothing was recorded. “${entry.title}” is still claimed by you.`, {
      action: { label: 'Open it', onClick: entry.onUndone },
    });
  }
  return true;
}

/** Decisions in their undo window, for the screens that show them. */
export function usePendingDecisions(): readonly PendingDecision[] {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => snapshot,
  );
}

// Leaving the console with a decision in its window would drop it silently: the browser asks first.
window.addEventListener('beforeunload', (event) => {
  if (pending.size > 0) event.preventDefault();
});
