import { useMemo } from 'react';
import { useQuery } from 'urql';
import { ReviewQueuePoliciesQuery } from './review.documents';

/** The queues whose items' deadlines pause once their stream is no longer live. */
export function useReviewQueuePolicies(): ReadonlySet<string> {
  const [{ data }] = useQuery({ query: ReviewQueuePoliciesQuery });
  return useMemo(
    () =>
      new Set(
        (data?.reviewQueues ?? [])
          .filter((queue) => queue.whenStreamNotLive === 'PAUSE')
          .map((queue) => queue.name),
      ),
    [data],
  );
}
