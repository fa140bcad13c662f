import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { toast } from 'sonner';
import { useSignedIn } from '../../auth/session';
import { SeverityBadge, StatusBadge } from '../../components/badges';
import { Empty, ErrorState, Loading } from '../../components/states';
import { useKeyboardShortcuts } from '../../hooks/use-keyboard-shortcuts';
import { useLiveReviewQueue, type QueueItem } from '../../hooks/use-live-review-queue';
import { useNow } from '../../hooks/use-now';
import { formatCountdown } from '../../lib/format';
import { isClaimable, useReviewActions } from '../../hooks/use-review-actions';

const ROW_HEIGHT = 44;
const SEVERITIES = ['low', 'medium', 'high', 'critical'];

/**
 * The live review queue: every unresolved item of the tenant, most urgent first, changing as
 * items arrive, are claimed and are resolved. Rows are virtualised so 500+ items scroll smoothly.
 */
export function QueuePage() {
  const { user } = useSignedIn();
  const navigate = useNavigate();
  const queue = useLiveReviewQueue();
  const actions = useReviewActions();
  const now = useNow();
  const [queueFilter, setQueueFilter] = useState('');
  const [streamFilter, setStreamFilter] = useState('');
  const [severityFilter, setSeverityFilter] = useState('');
  const [selectedIndex, setSelectedIndex] = useState(0);

  const queues = useMemo(() => distinct(queue.items.map((item) => item.queue)), [queue.items]);
  const streams = useMemo(
    () =>
      distinctBy(
        queue.items,
        (item) => item.streamId,
        (item) => item.streamName,
      ),
    [queue.items],
  );
  const visible = useMemo(
    () =>
      queue.items.filter(
        (item) =>
          (!queueFilter || item.queue === queueFilter) &&
          (!streamFilter || item.streamId === streamFilter) &&
          (!severityFilter || item.severity === severityFilter),
      ),
    [queue.items, queueFilter, streamFilter, severityFilter],
  );
  const selected = visible[Math.min(selectedIndex, visible.length - 1)];

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: visible.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  useEffect(() => {
    if (visible.length > 0) virtualizer.scrollToIndex(Math.min(selectedIndex, visible.length - 1));
  }, [selectedIndex, visible.length, virtualizer]);

  async function claimAndOpen(item: QueueItem | undefined) {
    if (!item) return;
    const claimed = await actions.claim(item.id);
    if (claimed) navigate(`/review/${item.id}`);
  }

  /**
   * With a queue chosen, the server picks that queue's most urgent claimable item (racing moderators
   * never get the same one). Across queues there is no such call: the most urgent claimable item
   * this list shows is claimed by id.
   */
  async function claimNext() {
    if (queueFilter) {
      const item = await actions.claimNext(queueFilter);
      if (item) navigate(`/review/${item.id}`);
      return;
    }
    const next = visible.find((item) => isClaimable(item.status));
    if (next) await claimAndOpen(next);
    else toast.info('No item to claim in these filters');
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
          Claim next <kbd>N</kbd>
        </button>
      </div>
      <div className="row" role="group" aria-label="Filters">
        <label>
          Queue
          <select value={queueFilter} onChange={(e) => setQueueFilter(e.target.value)}>
            <option value="">All queues</option>
            {queues.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>
        <label>
          Stream
          <select value={streamFilter} onChange={(e) => setStreamFilter(e.target.value)}>
            <option value="">All streams</option>
            {streams.map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Severity
          <select value={severityFilter} onChange={(e) => setSeverityFilter(e.target.value)}>
            <option value="">Any severity</option>
            {SEVERITIES.map((severity) => (
              <option key={severity}>{severity}</option>
            ))}
          </select>
        </label>
        <p className="shortcuts muted" aria-label="Keyboard shortcuts">
          <span>
            <kbd>J</kbd>/<kbd>K</kbd> move
          </span>
          <span>
            <kbd>C</kbd> claim selected
          </span>
          <span>
            <kbd>Enter</kbd> open
          </span>
          <span>
            <kbd>N</kbd> claim next
          </span>
        </p>
      </div>
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
        <div
          ref={scrollRef}
          className="queue-list"
          role="table"
          aria-label="Unresolved review items"
          aria-rowcount={visible.length + 1}
        >
          <div className="queue-row queue-head" role="row" style={{ position: 'sticky' }}>
            <span role="columnheader">Priority</span>
            <span role="columnheader">Severity</span>
            <span role="columnheader">Summary</span>
            <span role="columnheader">Stream</span>
            <span role="columnheader">Status</span>
            <span role="columnheader">Deadline</span>
            <span role="columnheader">Action</span>
          </div>
          <div role="rowgroup" style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((row) => {
              const item = visible[row.index]!;
              const deadline = item.status === 'CLAIMED' ? item.decideDueAt : item.claimDueAt;
              const remaining = deadline ? Date.parse(deadline) - now : null;
              const mine = item.assigneeId === user.id;
              return (
                <div
                  key={item.id}
                  role="row"
                  aria-rowindex={row.index + 2}
                  aria-selected={row.index === selectedIndex}
                  data-review-item-id={item.id}
                  className={`queue-row${row.index === selectedIndex ? ' selected' : ''}`}
                  style={{ top: row.start, height: ROW_HEIGHT }}
                  onClick={() => setSelectedIndex(row.index)}
                >
                  <span role="cell">{item.priority}</span>
                  <span role="cell">
                    <SeverityBadge severity={item.severity} />
                  </span>
                  <span role="cell" className="summary">
                    <Link to={`/review/${item.id}`}>{item.summary}</Link>
                  </span>
                  <span role="cell" className="summary">
                    {item.streamName} · {item.queue}
                  </span>
                  <span role="cell">
                    <StatusBadge status={mine ? 'CLAIMED by you' : item.status} />
                  </span>
                  <span role="cell" className={remaining !== null && remaining < 0 ? 'overdue' : ''}>
                    {remaining === null ? '—' : formatCountdown(remaining)}
                  </span>
                  <span role="cell">
                    {isClaimable(item.status) ? (
                      <button
                        type="button"
                        aria-label={`Claim: ${item.summary}`}
                        onClick={() => void claimAndOpen(item)}
                        disabled={actions.claiming}
                      >
                        Claim
                      </button>
                    ) : mine ? (
                      <Link to={`/review/${item.id}`}>Open</Link>
                    ) : null}
                  </span>
                </div>
              );
            })}
          </div>
        </div>
      )}
    </section>
  );
}

function distinct(values: string[]): string[] {
  return [...new Set(values.filter(Boolean))].sort();
}

function distinctBy<T>(items: T[], key: (item: T) => string, label: (item: T) => string): [string, string][] {
  const map = new Map<string, string>();
  for (const item of items) if (key(item)) map.set(key(item), label(item));
  return [...map.entries()].sort((a, b) => a[1].localeCompare(b[1]));
}
