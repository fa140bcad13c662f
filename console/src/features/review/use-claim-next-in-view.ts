import { useCallback } from 'react';
import { toast } from 'sonner';
import { useClient, type OperationResult } from 'urql';
import type { ResultOf } from '../../api/graphql';
import { isClaimable } from './decisions';
import { matchesQueueFilters, type QueueFilterValues } from './queue-filters';
import { UnresolvedReviewItemsQuery, ClaimReviewItemMutation } from './review.documents';
import { useClaimNextReviewItem } from './use-claim-next-review-item';
import type { QueueItem } from './use-live-review-queue';

const STORAGE_KEY = 'vigil.queueView';
const NO_FILTERS: QueueFilterValues = { queue: '', streamId: '', severity: '' };

/** The queue filters the moderator last chose, kept for this tab so "next" follows what they view. */
export function savedQueueView(): QueueFilterValues {
  try {
    const saved = JSON.parse(
      sessionStorage.getItem(STORAGE_KEY) ?? 'null',
    ) as Partial<QueueFilterValues> | null;
    return { ...NO_FILTERS, ...(saved ?? {}) };
  } catch {
    return NO_FILTERS;
  }
}

export function saveQueueView(filters: QueueFilterValues): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(filters));
}

/** In words: "all queues", "queue lawn, high severity". */
export function describeQueueView(filters: QueueFilterValues): string {
  const parts = [
    filters.queue ? `queue ${filters.queue}` : 'all queues',
    ...(filters.streamId ? ['one stream'] : []),
    ...(filters.severity ? [`${filters.severity} severity`] : []),
  ];
  return parts.join(', ');
}

/** How many candidates to try when others win the race for them. */
const ATTEMPTS = 5;

/**
 * Claims the most urgent claimable item of what the moderator is viewing: with only a queue
 * chosen, the server picks (racing moderators never get the same one); across queues, or with a
 * stream or severity filter, the most urgent matching items are tried in order until a claim wins.
 * Returns the claimed item's id, or null (with a notice) when none is left.
 */
export function useClaimNextInView() {
  const client = useClient();
  const claimNextOfQueue = useClaimNextReviewItem();
  return useCallback(
    async (filters: QueueFilterValues, skip: ReadonlySet<string> = new Set()): Promise<string | null> => {
      if (filters.queue && !filters.streamId && !filters.severity) {
        const item = await claimNextOfQueue(filters.queue);
        return item?.id ?? null;
      }
      const candidates: QueueItem[] = [];
      let after: string | null = null;
      for (let page = 0; page < 10; page++) {
        const result: OperationResult<ResultOf<typeof UnresolvedReviewItemsQuery>> = await client
          .query(
            UnresolvedReviewItemsQuery,
            { after, status: ['OPEN', 'HELD', 'ESCALATED'] },
            { requestPolicy: 'network-only' },
          )
          .toPromise();
        if (!result.data) break;
        for (const edge of result.data.reviewItems.edges) candidates.push(edge.node as QueueItem);
        const info: { hasNextPage: boolean; endCursor: string | null } = result.data.reviewItems.pageInfo;
        if (!info.hasNextPage) break;
        after = info.endCursor;
      }
      const ordered = candidates
        .filter(
          (item) => isClaimable(item.status) && !skip.has(item.id) && matchesQueueFilters(item, filters),
        )
        .sort((a, b) => b.priority - a.priority || Date.parse(a.createdAt) - Date.parse(b.createdAt));
      for (const item of ordered.slice(0, ATTEMPTS)) {
        const claimed = await client.mutation(ClaimReviewItemMutation, { id: item.id }).toPromise();
        if (claimed.data?.claimReviewItem) {
          toast.success('Claimed the most urgent item');
          return item.id;
        }
      }
      toast.info(`No item left to claim in ${describeQueueView(filters)}`);
      return null;
    },
    [client, claimNextOfQueue],
  );
}
