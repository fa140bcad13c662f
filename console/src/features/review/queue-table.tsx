import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';
import { Link } from 'react-router';
import { SeverityBadge, StatusBadge } from '../../components/badges';
import { useNow } from '../../hooks/use-now';
import { formatCountdown } from '../../lib/format';
import { isClaimable } from './decisions';
import type { QueueItem } from './use-live-review-queue';

const ROW_HEIGHT = 44;

/**
 * Review items, one row each, with their deadline counting down. Rows are virtualised so 500+
 * items scroll smoothly; the selected row is kept in view.
 */
export function QueueTable({
  items,
  selectedIndex,
  onSelect,
  userId,
  onClaim,
  claiming,
}: {
  items: QueueItem[];
  selectedIndex: number;
  onSelect: (index: number) => void;
  userId: string;
  onClaim: (item: QueueItem) => void;
  claiming: boolean;
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
          const item = items[row.index]!;
          const deadline = item.status === 'CLAIMED' ? item.decideDueAt : item.claimDueAt;
          const remaining = deadline ? Date.parse(deadline) - now : null;
          const mine = item.assigneeId === userId;
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
