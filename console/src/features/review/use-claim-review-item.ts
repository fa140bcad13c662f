import { useCallback } from 'react';
import { toast } from 'sonner';
import { useMutation } from 'urql';
import { describeError } from '../../api/errors';
import { ClaimReviewItemMutation } from './review.documents';

/**
 * Claims one review item. A refusal is told in the API's words (CONFLICT: claimed by another
 * moderator, or already resolved). Returns the claimed item, or null.
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
      toast.error(describeError(result.error) || 'The claim failed');
      return null;
    },
    [execute],
  );
  return { claim, claiming: state.fetching };
}
