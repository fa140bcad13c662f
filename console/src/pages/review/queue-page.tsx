import { useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { useSignedIn } from '../../auth/session';
import { Empty, ErrorState, Loading } from '../../components/states';
import {
  matchesQueueFilters,
  QueueFilters,
  type QueueFilterValues,
} from '../../features/review/queue-filters';
import { QueueTable } from '../../features/review/queue-table';
import {
  describeQueueView,
  saveQueueView,
  savedQueueView,
  useClaimNextInView,
} from '../../features/review/use-claim-next-in-view';
import { useClaimReviewItem } from '../../features/review/use-claim-review-item';
import { useLiveReviewQueue, type QueueItem } from '../../features/review/use-live-review-queue';
import { useReviewQueuePolicies } from '../../features/review/use-review-queue-policies';
import { useKeyboardShortcuts } from '../../hooks/use-keyboard-shortcuts';

/**
 * The live review queue: every unresolved item of the tenant, most urgent first, changing as
 * items arrive, are claimed and are resolved.
 */
export function QueuePage() {
  const { user } = useSignedIn();
  const navigate = useNavigate();
  const queue = useLiveReviewQueue();
  const { claim, claiming } = useClaimReviewItem();
  const claimNextInView = useClaimNextInView();
  const pausedQueues = useReviewQueuePolicies();
  // The filters are kept for this tab: "submit and next" on an item follows what is viewed here.
  const [filters, setFiltersState] = useState<QueueFilterValues>(savedQueueView);
  const setFilters = (next: QueueFilterValues) => {
    saveQueueView(next);
    setFiltersState(next);
  };
  const [selectedIndex, setSelectedIndex] = useState(0);

  const visible = useMemo(
    () => queue.items.filter((item) => matchesQueueFilters(item, filters)),
    [queue.items, filters],
  );
  const selected = visible[Math.min(selectedIndex, visible.length - 1)];

  async function claimAndOpen(item: QueueItem | undefined) {
    if (!item) return;
    const claimed = await claim(item.id);
    if (claimed) navigate(`/review/${item.id}`);
  }

  /** The most urgent claimable item of what is viewed: one queue, or all of them, within the filters. */
  async function claimNext() {
    const id = await claimNextInView(filters);
    if (id) navigate(`/review/${id}`);
  }

  useKeyboardShortcuts({
    j: () => setSelectedIndex((index) => Math.min(index + 1, visible.length - 1)),
    ArrowDown: () => setSelectedIndex((index) => Math.min(index + 1, visible.length - 1)),
    k: () => setSelectedIndex((index) => Math.max(index - 1, 0)),
    ArrowUp: () => setSelectedIndex((index) => Math.max(index - 1, 0)),
    c: () => void claimAndOpen(selected),
    n: () => void claimNext(),
    Enter: () => selected && navigate(`/review/${selected.id}`),
  });

  return (
    <section className="page" aria-labelledby="queue-title">
      <div className="toolbar">
        <h1 id="queue-title">Review queue</h1>
        <span className="muted" aria-live="polite">
          {visible.length} of {queue.items.length} unresolved · {queue.live ? 'live' : 'reconnecting…'}
        </span>
        <button type="button" className="primary" onClick={() => void claimNext()}>
          Claim next of {describeQueueView(filters)} <kbd>N</kbd>
        </button>
      </div>
      <QueueFilters items={queue.items} value={filters} onChange={setFilters} />
      {queue.error && queue.items.length === 0 ? (
        <ErrorState error={queue.error} retry={() => void queue.reload()} />
      ) : queue.loading && queue.items.length === 0 ? (
        <Loading label="Loading the queue" />
      ) : visible.length === 0 ? (
        <Empty>
          No unresolved review items{queue.items.length > 0 ? ' match these filters' : ''}. New ones appear
          here live.
        </Empty>
      ) : (
        <QueueTable
          items={visible}
          selectedIndex={selectedIndex}
          onSelect={setSelectedIndex}
          userId={user.id}
          onClaim={(item) => void claimAndOpen(item)}
          claiming={claiming}
          pausedQueues={pausedQueues}
        />
      )}
    </section>
  );
}
