import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useClient, type OperationResult } from 'urql';
import { onDisconnected, onReconnected } from '../../api/client';
import type { ResultOf } from '../../api/graphql';
import { useSubscriptionEvents } from '../../hooks/use-subscription-events';
import {
  UnresolvedReviewItemsQuery,
  QueueEventsSubscription,
  QueueItemFields,
  QueueItemQuery,
} from './review.documents';

/** What the live list holds per item; fields not in the event are filled in by a fetch. */
export type QueueItem = Omit<ResultOf<typeof QueueItemFields>, ' $fragmentName'> & { arrivedAt?: number };

/** How many unresolved items the console loads at most (20 pages); the rest wait for a reload. */
const MAX_ITEMS = 1000;

/**
 * The tenant's unresolved review items, kept live: loaded once page by page, then changed by the
 * `reviewQueue` subscription. An added item is shown from the event at once (queue, priority,
 * stream) and completed by one fetch; a resolved item leaves the list. A reconnect re-loads the
 * list, which is simpler than replaying with `after` and correct for a list that is a snapshot.
 */
export function useLiveReviewQueue() {
  const client = useClient();
  const [items, setItems] = useState<Map<string, QueueItem>>(new Map());
  // For event handlers: whether the list already holds an item (the latest render's list).
  const itemsRef = useRef(items);
  itemsRef.current = items;
  const [state, setState] = useState<{ loading: boolean; error: Error | null }>({
    loading: true,
    error: null,
  });
  const generation = useRef(0);

  const upsert = useCallback((item: QueueItem) => {
    setItems((current) => {
      const next = new Map(current);
      next.set(item.id, { ...current.get(item.id), ...item });
      return next;
    });
  }, []);

  const refreshItem = useCallback(
    async (id: string) => {
      const result = await client
        .query(QueueItemQuery, { id }, { requestPolicy: 'network-only' })
        .toPromise();
      const item = result.data?.reviewItem as QueueItem | undefined;
      if (!item) return;
      if (item.status === 'RESOLVED') {
        setItems((current) => {
          const next = new Map(current);
          next.delete(id);
          return next;
        });
      } else upsert(item);
    },
    [client, upsert],
  );

  const load = useCallback(async () => {
    const mine = ++generation.current;
    setState({ loading: true, error: null });
    const loaded = new Map<string, QueueItem>();
    let after: string | null = null;
    do {
      const result: OperationResult<ResultOf<typeof UnresolvedReviewItemsQuery>> = await client
        .query(
          UnresolvedReviewItemsQuery,
          { after, status: ['OPEN', 'CLAIMED', 'HELD', 'ESCALATED'] },
          { requestPolicy: 'network-only' },
        )
        .toPromise();
      if (mine !== generation.current) return;
      if (result.error || !result.data) {
        setState({ loading: false, error: result.error ?? new Error('No data') });
        return;
      }
      for (const node of result.data.reviewItems.edges.map((edge) => edge.node)) {
        const item = node as QueueItem;
        loaded.set(item.id, item);
      }
      const { hasNextPage, endCursor }: { hasNextPage: boolean; endCursor: string | null } =
        result.data.reviewItems.pageInfo;
      after = hasNextPage && loaded.size < MAX_ITEMS ? (endCursor ?? null) : null;
    } while (after);
    setItems(loaded);
    setState({ loading: false, error: null });
  }, [client]);

  useEffect(() => {
    void load();
  }, [load]);

  const [live, setLive] = useState(true);
  useSubscriptionEvents(
    QueueEventsSubscription,
    {},
    (data) => {
      setLive(true);
      const event = data.reviewQueue;
      if (event.type === 'resolved') {
        setItems((current) => {
          if (!current.has(event.reviewItemId)) return current;
          const next = new Map(current);
          next.delete(event.reviewItemId);
          return next;
        });
        return;
      }
      // The event carries what a claim, release or escalation changes, with the summary and the
      // stream's name; only an item this list has not seen needs one query (for its thumbnail),
      // and so does a new holder (for their name).
      const previous = itemsRef.current.get(event.reviewItemId);
      const holderChanged =
        !!previous &&
        (previous.assigneeId !== (event.assigneeId ?? null) ||
          previous.assigneeApiKeyId !== (event.assigneeApiKeyId ?? null));
      setItems((current) => {
        const next = new Map(current);
        const known = current.get(event.reviewItemId);
        next.set(event.reviewItemId, {
          ...(known ?? placeholder(event.reviewItemId)),
          queue: event.queue,
          priority: event.priority,
          status: event.status as QueueItem['status'],
          streamId: event.streamId,
          incidentId: event.incidentId,
          summary: event.summary || known?.summary || 'New item…',
          severity: event.severity ?? null,
          streamName: event.streamName ?? known?.streamName ?? '…',
          streamLive: event.streamLive,
          assigneeId: event.assigneeId ?? null,
          assigneeApiKeyId: event.assigneeApiKeyId ?? null,
          assigneeName: holderChanged ? null : (known?.assigneeName ?? null),
          claimDueAt: event.claimDueAt ?? null,
          decideDueAt: event.decideDueAt ?? null,
          claimExpiresAt: event.claimExpiresAt ?? null,
          arrivedAt: known?.arrivedAt ?? (event.type === 'added' ? Date.now() : undefined),
        });
        return next;
      });
      if (!previous || (holderChanged && (event.assigneeId || event.assigneeApiKeyId)))
        void refreshItem(event.reviewItemId);
    },
    { onError: () => setLive(false) },
  );
  useEffect(() => onDisconnected(() => setLive(false)), []);
  // Events sent while the socket was down are not replayed to this list: reload it instead.
  useEffect(
    () =>
      onReconnected(() => {
        setLive(true);
        void load();
      }),
    [load],
  );

  const sorted = useMemo(
    () =>
      [...items.values()].sort(
        (a, b) => b.priority - a.priority || Date.parse(a.createdAt) - Date.parse(b.createdAt),
      ),
    [items],
  );

  return {
    items: sorted,
    loading: state.loading,
    error: state.error,
    live,
    reload: load,
    upsert,
    refreshItem,
  };
}

function placeholder(id: string): QueueItem {
  return {
    id,
    queue: '',
    priority: 0,
    status: 'OPEN',
    streamId: '',
    streamName: '…',
    incidentId: '',
    ruleId: '',
    severity: null,
    summary: 'New item…',
    assigneeId: null,
    assigneeApiKeyId: null,
    assigneeName: null,
    streamLive: true,
    thumbnail: null,
    claimDueAt: null,
    decideDueAt: null,
    claimExpiresAt: null,
    createdAt: new Date().toISOString(),
  };
}
