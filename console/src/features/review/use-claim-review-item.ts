import { useCallback } from 'react';
import { toast } from 'sonner';
import { useMutation } from 'urql';
import { describeReviewRefusal } from '../../api/errors';
import { ClaimReviewItemMutation } from './review.documents';

/**
 * Claims one review item. A refusal says what to do next, by the API's reason (claimed by another
 * moderator, already resolved). Returns the claimed item, or null.
 */
export function useClaimReviewItem() {
  const [state, execute] = useMutation(ClaimReviewItemMutation);
  const claim = useCallback(
    async (id: string) => {
      const result = await execute({ id });
      if (result.data) {
        toast.success('Claimed: the item is yours until you decide or release it');
        return result.data.claimReviewItem;
      }
      toast.error(describeReviewRefusal(result.error) || 'The claim failed');
      return null;
    },
    [execute],
  );
  return { claim, claiming: state.fetching };
}
