import { useCallback } from 'react';
import { toast } from 'sonner';
import { useMutation } from 'urql';
import { describeReviewRefusal } from '../../api/errors';
import { DECISION_LABELS, type ModeratorDecision } from './decisions';
import { DecideReviewItemMutation } from './review.documents';

/** Records the moderator's decision on a claimed item; returns the decided item, or null. */
export function useDecideReviewItem() {
  const [state, execute] = useMutation(DecideReviewItemMutation);
  const decide = useCallback(
    async (id: string, decision: ModeratorDecision, reason: string, notes: string) => {
      const result = await execute({ id, input: { decision, reason, notes: notes || null } });
      if (result.error || !result.data) {
        toast.error(describeReviewRefusal(result.error) || 'The decision was not saved');
        return null;
      }
      toast.success(`Decided: ${DECISION_LABELS[decision]}`);
      return result.data.decideReviewItem;
    },
    [execute],
  );
  return { decide, deciding: state.fetching };
}
