import { useCallback } from 'react';
import { toast } from 'sonner';
import { useMutation } from 'urql';
import { describeError } from '../../api/errors';
import { ClaimNextReviewItemMutation } from './review.documents';

/**
 * Claims the most urgent claimable item of a queue; the server picks it, so racing moderators
 * never get the same one. Returns the item, or null when the queue has none (or on failure).
 */
export function useClaimNextReviewItem() {
  const [, execute] = useMutation(ClaimNextReviewItemMutation);
  return useCallback(
    async (queue: string) => {
      const result = await execute({ queue });
      if (result.error) {
        toast.error(describeError(result.error));
        return null;
      }
      const item = result.data?.claimNextReviewItem ?? null;
      if (!item) toast.info(`Queue “${queue}” has no item to claim`);
      else toast.success('Claimed the most urgent item');
      return item;
    },
    [execute],
  );
}
