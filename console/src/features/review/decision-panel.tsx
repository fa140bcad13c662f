import { useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { toast } from 'sonner';
import { useClient, useQuery } from 'urql';
import { describeReviewRefusal } from '../../api/errors';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { useKeyboardShortcuts } from '../../hooks/use-keyboard-shortcuts';
import { useNow } from '../../hooks/use-now';
import {
  DECISION_KEYS,
  DECISION_LABELS,
  describeReason,
  needsConfirmation,
  reasonFits,
  UNDO_SECONDS,
  type ChosenReason,
  type ModeratorDecision,
  type PolicyReasonChoice,
} from './decisions';
import { holdDecision, undoDecision, usePendingDecisions } from './pending-decisions';
import { ReasonPicker } from './reason-picker';
import { DecideReviewItemMutation, PolicyReasonsQuery } from './review.documents';
import { describeQueueView, savedQueueView, useClaimNextInView } from './use-claim-next-in-view';
import { decisionInput, useDecideReviewItem, type DecisionDraft } from './use-decide-review-item';

/** Sent when a held decision has been recorded, so an open item page can show it decided. */
export const DECIDED_EVENT = 'vigil:review-decided';

/**
 * The decision form of the moderator holding the item. A decision is chosen (button or key), then
 * its reason: one of the tenant's policy reasons that fit it, or the moderator's own words; notes
 * are separate and optional. Nothing is ever filled in for them. A confirmed violation or a stop
 * asks for confirmation naming the reason and policy before it is sent; a dismissal or an
 * escalation waits out a short undo window before it is sent.
 */
export function DecisionPanel({ item }: { item: { id: string; summary: string } }) {
  const navigate = useNavigate();
  const client = useClient();
  const [{ data: reasonsData }] = useQuery({ query: PolicyReasonsQuery });
  const reasons: PolicyReasonChoice[] = reasonsData?.policyReasons ?? [];
  const { decide, deciding } = useDecideReviewItem();
  const claimNextInView = useClaimNextInView();
  const now = useNow(250);
  const pending = usePendingDecisions().find((entry) => entry.draft.reviewItemId === item.id);

  const [decision, setDecision] = useState<ModeratorDecision | null>(null);
  const [chosenId, setChosenId] = useState<string | null>(null);
  const [ownText, setOwnText] = useState('');
  const [notes, setNotes] = useState('');
  const [thenNext, setThenNext] = useState(true);
  const [problem, setProblem] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<DecisionDraft | null>(null);
  const listRef = useRef<HTMLUListElement>(null);
  const submitRef = useRef<HTMLButtonElement>(null);

  const chosen = reasons.find((reason) => reason.id === chosenId) ?? null;
  const view = savedQueueView();

  function choose(next: ModeratorDecision) {
    setDecision(next);
    setProblem(null);
    // A listed reason that does not justify the new decision is no longer chosen.
    if (chosen && !reasonFits(chosen, next)) setChosenId(null);
    requestAnimationFrame(() => listRef.current?.focus());
  }

  function draftOf(): DecisionDraft | string {
    if (!decision) return 'Choose a decision first (D, V, E or S).';
    const reason: ChosenReason | null = chosen
      ? { kind: 'listed', reason: chosen }
      : ownText.trim()
        ? { kind: 'own', text: ownText.trim() }
        : null;
    if (!reason) return 'Choose a reason from the list or type your own: no reason is filled in for you.';
    return { reviewItemId: item.id, decision, reason, notes };
  }

  async function moveOn(next: boolean) {
    if (!next) return;
    const nextId = await claimNextInView(view, new Set([item.id]));
    navigate(nextId ? `/review/${nextId}` : '/queue');
  }

  function submit(next = thenNext) {
    if (pending || deciding) return;
    const draft = draftOf();
    if (typeof draft === 'string') {
      setProblem(draft);
      return;
    }
    setProblem(null);
    if (needsConfirmation(draft.decision)) {
      setConfirming(draft);
      return;
    }
    holdDecision(
      draft,
      item.summary,
      async (held) => {
        const result = await client
          .mutation(DecideReviewItemMutation, { id: held.reviewItemId, input: decisionInput(held) })
          .toPromise();
        if (result.error) toast.error(describeReviewRefusal(result.error) || 'The decision was not saved');
        else toast.success(`Decided: ${DECISION_LABELS[held.decision]} (${describeReason(held.reason)})`);
        window.dispatchEvent(new CustomEvent(DECIDED_EVENT, { detail: held.reviewItemId }));
      },
      () => navigate(`/review/${item.id}`),
    );
    void moveOn(next);
  }

  async function confirm() {
    if (!confirming) return;
    const decided = await decide(confirming);
    setConfirming(null);
    if (!decided) return;
    window.dispatchEvent(new CustomEvent(DECIDED_EVENT, { detail: item.id }));
    await moveOn(thenNext);
  }

  useKeyboardShortcuts({
    ...Object.fromEntries(DECISION_KEYS.map(([key, value]) => [key, () => choose(value)])),
    u: () => undoDecision(item.id),
  });

  if (pending) {
    const left = Math.max(0, Math.ceil((pending.sendAt - Math.max(now, Date.now())) / 1000));
    return (
      <div className="pending-decision" role="status" data-testid="pending-decision">
        <p>
          <strong>{DECISION_LABELS[pending.draft.decision]}</strong> with the reason{' '}
          <strong>{describeReason(pending.draft.reason)}</strong> is sent in about {left} s. Until then
          nothing is recorded.
        </p>
        <button type="button" className="primary" onClick={() => undoDecision(item.id)}>
          Undo <kbd>U</kbd>
        </button>
      </div>
    );
  }

  const submitLabel = !decision
    ? 'Record decision'
    : needsConfirmation(decision)
      ? `${DECISION_LABELS[decision]}…`
      : `${DECISION_LABELS[decision]} (${UNDO_SECONDS} s to undo)`;

  return (
    <>
      <form
        className="decision-form"
        aria-label="Decision"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <div className="decision-buttons" role="group" aria-label="Decision">
          {DECISION_KEYS.map(([key, value]) => (
            <button
              key={value}
              type="button"
              aria-pressed={decision === value}
              className={value === 'STOP_STREAM' ? 'danger-outline' : undefined}
              aria-keyshortcuts={key.toUpperCase()}
              onClick={() => choose(value)}
            >
              {DECISION_LABELS[value]} <kbd>{key.toUpperCase()}</kbd>
            </button>
          ))}
        </div>
        <ReasonPicker
          reasons={reasons}
          decision={decision}
          chosenId={chosenId}
          ownText={ownText}
          listRef={listRef}
          onChooseListed={(reason) => {
            setChosenId(reason.id);
            setOwnText('');
            setProblem(null);
          }}
          onOwnText={(text) => {
            setOwnText(text);
            if (text) setChosenId(null);
            setProblem(null);
          }}
          onChosen={() => requestAnimationFrame(() => submitRef.current?.focus())}
        />
        <label>
          Notes (optional, kept with the decision)
          <textarea rows={2} value={notes} maxLength={5000} onChange={(e) => setNotes(e.target.value)} />
        </label>
        <label className="inline">
          <input type="checkbox" checked={thenNext} onChange={(e) => setThenNext(e.target.checked)} />
          Submit and next: then claim the next item of {describeQueueView(view)}
        </label>
        {problem && (
          <p className="form-problem" role="alert">
            {problem}
          </p>
        )}
        <div className="toolbar">
          <button
            ref={submitRef}
            type="submit"
            className={decision === 'STOP_STREAM' ? 'danger' : 'primary'}
            disabled={deciding}
          >
            {submitLabel}
          </button>
        </div>
        <p className="muted small">
          <kbd>D</kbd> <kbd>V</kbd> <kbd>E</kbd> <kbd>S</kbd> choose a decision, <kbd>↑</kbd>/<kbd>↓</kbd> and{' '}
          <kbd>Enter</kbd> a reason, <kbd>Enter</kbd> submits. Confirm violation and Stop stream ask first;
          Dismiss and Escalate can be undone for {UNDO_SECONDS} s (<kbd>U</kbd>).
        </p>
      </form>
      <ConfirmDialog
        open={confirming !== null}
        title={confirming ? `${DECISION_LABELS[confirming.decision]}?` : ''}
        confirmLabel={confirming ? DECISION_LABELS[confirming.decision] : ''}
        danger={confirming?.decision === 'STOP_STREAM'}
        busy={deciding}
        onConfirm={() => void confirm()}
        onCancel={() => setConfirming(null)}
      >
        {confirming && (
          <>
            <p>
              <strong>{item.summary}</strong>
            </p>
            <dl className="facts">
              <dt>Reason</dt>
              <dd>{describeReason(confirming.reason)}</dd>
              <dt>Policy</dt>
              <dd>
                {confirming.reason.kind === 'listed' && confirming.reason.reason.policy
                  ? confirming.reason.reason.policy
                  : 'none named (your own reason)'}
              </dd>
              {confirming.notes.trim() && (
                <>
                  <dt>Notes</dt>
                  <dd>{confirming.notes.trim()}</dd>
                </>
              )}
            </dl>
            <p className="muted">
              {confirming.decision === 'STOP_STREAM'
                ? 'The stream stops now and the partner is told. This cannot be undone.'
                : 'The violation is recorded for the report and the partner is told. This cannot be undone.'}
            </p>
          </>
        )}
      </ConfirmDialog>
    </>
  );
}
