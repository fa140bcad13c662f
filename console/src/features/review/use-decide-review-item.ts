import { useCallback } from 'react';
import { toast } from 'sonner';
import { useMutation } from 'urql';
import { describeReviewRefusal } from '../../api/errors';
import { DECISION_LABELS, type ChosenReason, type ModeratorDecision } from './decisions';
import { DecideReviewItemMutation } from './review.documents';

/** A decision as the moderator made it: the decision, the reason they chose or typed, free notes. */
export interface DecisionDraft {
  reviewItemId: string;
  decision: ModeratorDecision;
  reason: ChosenReason;
  notes: string;
}

/** The API's input for a draft: exactly one of a listed reason (by id) or the moderator's words. */
export function decisionInput(draft: DecisionDraft) {
  return {
    decision: draft.decision,
    ...(draft.reason.kind === 'listed'
      ? { policyReasonId: draft.reason.reason.id }
      : { reason: draft.reason.text.trim() }),
    notes: draft.notes.trim() || null,
  };
}

/** Sends the moderator's decision on a claimed item; returns the decided item, or null. */
export function useDecideReviewItem() {
  const [state, execute] = useMutation(DecideReviewItemMutation);
  const decide = useCallback(
    async (draft: DecisionDraft) => {
      const result = await execute({ id: draft.reviewItemId, input: decisionInput(draft) });
      if (result.error || !result.data) {
        toast.error(describeReviewRefusal(result.error) || 'The decision was not saved');
        return null;
      }
      toast.success(`Decided: ${DECISION_LABELS[draft.decision]}`);
      return result.data.decideReviewItem;
    },
    [execute],
  );
  return { decide, deciding: state.fetching };
}
