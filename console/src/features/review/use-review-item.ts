import { useQuery } from 'urql';
import type { ResultOf } from '../../api/graphql';
import { ReviewEvidenceQuery, ReviewItemViewQuery } from './review.documents';

export type ReviewItem = ResultOf<typeof ReviewItemViewQuery>['reviewItem'];

/** One review item with its decision, always read fresh (another moderator may have claimed it). */
export function useReviewItem(reviewItemId: string) {
  const [{ data, fetching, error }, refetch] = useQuery({
    query: ReviewItemViewQuery,
    variables: { id: reviewItemId },
    requestPolicy: 'network-only',
  });
  return {
    item: data?.reviewItem,
    fetching,
    error,
    retry: () => refetch(),
    refresh: () => refetch({ requestPolicy: 'network-only' }),
  };
}

/** The evidence behind an item: its incident's analyses, windows and frames, and the rule that fired. */
export function useReviewEvidence(incidentId: string, ruleId: string) {
  const [{ data, fetching, error }, refetch] = useQuery({
    query: ReviewEvidenceQuery,
    variables: { incidentId, ruleId },
  });
  return {
    incident: data?.incident,
    rule: data?.rule,
    fetching,
    error,
    retry: () => refetch(),
    refresh: () => refetch({ requestPolicy: 'network-only' }),
  };
}
