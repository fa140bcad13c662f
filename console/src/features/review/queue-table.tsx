import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { SeverityBadge, StatusBadge } from '../../components/badges';
import { useNow } from '../../hooks/use-now';
import { formatClock } from '../../lib/format';
import { describeDeadline } from './deadline';
import { isClaimable } from './decisions';
import type { QueueItem } from './use-live-review-queue';

const ROW_HEIGHT = 64;

/** "3 min ago", "just now": when an incident came in, at a glance. */
function ago(iso: string, now: number): string {
  const minutes = Math.floor((now - Date.parse(iso)) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  return hours < 24 ? `${hours} h ago` : `${Math.floor(hours / 24)} d ago`;
}

/**
 * Review items, one row each: the incident's first keyframe, what happened, where (the stream) and
 * when, its severity, who holds it, and the deadline that applies, named. Rows are virtualised so
 * 500+ items scroll smoothly; the selected row is kept in view.
 */
export function QueueTable({
  items,
  selectedIndex,
  onSelect,
  userId,
  onClaim,
  claiming,
  pausedQueues,
}: {
  items: QueueItem[];
  selectedIndex: number;
  onSelect: (index: number) => void;
  userId: string;
  onClaim: (item: QueueItem) => void;
  claiming: boolean;
  pausedQueues: ReadonlySet<string>;
}) {
  const now = useNow();
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  useEffect(() => {
    if (items.length > 0) virtualizer.scrollToIndex(Math.min(selectedIndex, items.length - 1));
  }, [selectedIndex, items.length, virtualizer]);

  return (
    <div
      ref={scrollRef}
      className="queue-list"
      role="table"
      aria-label="Unresolved review items"
      aria-rowcount={items.length + 1}
    >
      <div className="queue-row queue-head" role="row" style={{ position: 'sticky' }}>
        <span role="columnheader">Keyframe</span>
        <span role="columnheader">Priority</span>
        <span role="columnheader">Severity</span>
        <span role="columnheader">What, where, when</span>
        <span role="columnheader">Status</span>
        <span role="columnheader">Deadline</span>
        <span role="columnheader">Action</span>
      </div>
      <div role="rowgroup" style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((row) => {
          const item = items[row.index]!;
          const deadline = describeDeadline(item, now, pausedQueues);
          const mine = item.assigneeId === userId;
          const holder = item.status === 'CLAIMED' ? (mine ? 'you' : (item.assigneeName ?? 'someone')) : null;
          return (
            <div
              key={item.id}
              role="row"
              aria-rowindex={row.index + 2}
              aria-selected={row.index === selectedIndex}
              data-review-item-id={item.id}
              className={`queue-row${row.index === selectedIndex ? ' selected' : ''}`}
              style={{ top: row.start, height: ROW_HEIGHT }}
              onClick={() => onSelect(row.index)}
            >
              <span role="cell" className="thumb-cell">
                <QueueThumbnail url={item.thumbnail?.url ?? null} />
              </span>
              <span role="cell">{item.priority}</span>
              <span role="cell">
                <SeverityBadge severity={item.severity} />
              </span>
              <span role="cell" className="summary-cell">
                <Link to={`/review/${item.id}`} className="summary">
                  {item.summary}
                </Link>
                <span className="muted small summary">
                  {item.streamName} · {item.queue} · {formatClock(item.createdAt)} ({ago(item.createdAt, now)}
                  )
                </span>
              </span>
              <span role="cell" className="status-cell">
                <StatusBadge status={mine ? 'CLAIMED by you' : item.status} />
                {holder && !mine && (
                  <span className="muted small summary" title={holder}>
                    by {holder}
                  </span>
                )}
                {deadline.streamEnded && <span className="badge stream-ended">stream ended</span>}
              </span>
              <span role="cell" className={`deadline-cell${deadline.overdue ? ' overdue' : ''}`}>
                {deadline.text ?? '—'}
              </span>
              <span role="cell">
                {isClaimable(item.status) ? (
                  <button
                    type="button"
                    aria-label={`Claim: ${item.summary}`}
                    onClick={() => onClaim(item)}
                    disabled={claiming}
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
  );
}

/** The incident's first keyframe; an empty frame when it has none or its JPEG is gone (retention). */
function QueueThumbnail({ url }: { url: string | null }) {
  const [failed, setFailed] = useState<string | null>(null);
  if (!url || failed === url) return <span className="queue-thumb empty" aria-hidden="true" />;
  return <img src={url} alt="" loading="lazy" className="queue-thumb" onError={() => setFailed(url)} />;
}
