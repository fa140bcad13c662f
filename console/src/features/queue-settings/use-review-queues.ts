import { useQuery } from 'urql';
import type { ResultOf } from '../../api/graphql';
import { useMutationToast } from '../../hooks/use-mutation-toast';
import { ReviewQueuesQuery, SetReviewQueueMutation } from './queue-settings.documents';

export type ReviewQueue = ResultOf<typeof ReviewQueuesQuery>['reviewQueues'][number];

/** The review queues that have their own service levels. */
export function useReviewQueues() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: ReviewQueuesQuery });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  return { queues: data?.reviewQueues, fetching, error, refresh };
}

/** Sets a queue's time to claim and to decide. */
export function useSetReviewQueue(refresh?: () => void) {
  return useMutationToast(SetReviewQueueMutation, (r) => `Queue “${r.setReviewQueue.name}” saved`, refresh);
}
