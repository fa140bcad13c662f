import { useCallback, useMemo, useState } from 'react';
import { useQuery } from 'urql';
import type { ResultOf } from '../../api/graphql';
import { IncidentFiringsQuery, ReviewEvidenceQuery, ReviewItemViewQuery } from './review.documents';

export type ReviewItem = ResultOf<typeof ReviewItemViewQuery>['reviewItem'];

/** One review item with its decision, always read fresh (another moderator may have claimed it). */
export function useReviewItem(reviewItemId: string) {
  const [{ data, fetching, error }, refetch] = useQuery({
    query: ReviewItemViewQuery,
    variables: { id: reviewItemId },
    requestPolicy: 'network-only',
  });
  const refresh = useCallback(() => refetch({ requestPolicy: 'network-only' }), [refetch]);
  return {
    item: data?.reviewItem,
    fetching,
    error,
    retry: () => refetch(),
    refresh,
  };
}

/** The evidence behind an item: its incident with a sample of keyframes, and the rule that fired. */
export function useReviewEvidence(incidentId: string, ruleId: string) {
  const [{ data, fetching, error }, refetch] = useQuery({
    query: ReviewEvidenceQuery,
    variables: { incidentId, ruleId },
  });
  // Stable, so that a view may refresh on a change of the item without refreshing on every render.
  const refresh = useCallback(() => refetch({ requestPolicy: 'network-only' }), [refetch]);
  return {
    incident: data?.incident,
    rule: data?.rule,
    fetching,
    error,
    retry: () => refetch(),
    refresh,
  };
}

/** Firings shown per page of evidence: few enough to scan, each with its window's frames. */
export const FIRINGS_PER_PAGE = 5;

/**
 * An incident's firings a page at a time, first firing first: "newer" follows the API's cursor,
 * "older" goes back through the cursors already seen.
 */
export function useFiringPages(incidentId: string) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors.at(-1) ?? null;
  const [{ data, fetching, error }, refetch] = useQuery({
    query: IncidentFiringsQuery,
    variables: { incidentId, first: FIRINGS_PER_PAGE, after },
  });
  const connection = data?.incident.evidence;
  const firings = useMemo(() => connection?.edges.map((edge) => edge.node) ?? [], [connection]);
  return {
    firings,
    /** 0-based position of the page's first firing among all. */
    offset: (cursors.length - 1) * FIRINGS_PER_PAGE,
    fetching,
    error,
    hasNewer: connection?.pageInfo.hasNextPage ?? false,
    hasOlder: cursors.length > 1,
    newer: () => {
      const end = connection?.pageInfo.endCursor;
      if (end) setCursors((list) => [...list, end]);
    },
    older: () => setCursors((list) => (list.length > 1 ? list.slice(0, -1) : list)),
    refresh: () => refetch({ requestPolicy: 'network-only' }),
  };
}
