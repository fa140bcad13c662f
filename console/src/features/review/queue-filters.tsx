import { useMemo } from 'react';
import type { QueueItem } from './use-live-review-queue';

const SEVERITIES = ['low', 'medium', 'high', 'critical'];

export interface QueueFilterValues {
  queue: string;
  streamId: string;
  severity: string;
}

export function matchesQueueFilters(item: QueueItem, filters: QueueFilterValues): boolean {
  return (
    (!filters.queue || item.queue === filters.queue) &&
    (!filters.streamId || item.streamId === filters.streamId) &&
    (!filters.severity || item.severity === filters.severity)
  );
}

/** Queue, stream and severity filters (choices from the items loaded), with the keyboard legend. */
export function QueueFilters({
  items,
  value,
  onChange,
}: {
  items: QueueItem[];
  value: QueueFilterValues;
  onChange: (next: QueueFilterValues) => void;
}) {
  const queues = useMemo(() => distinct(items.map((item) => item.queue)), [items]);
  const streams = useMemo(
    () =>
      distinctBy(
        items,
        (item) => item.streamId,
        (item) => item.streamName,
      ),
    [items],
  );
  return (
    <div className="row" role="group" aria-label="Filters">
      <label>
        Queue
        <select value={value.queue} onChange={(e) => onChange({ ...value, queue: e.target.value })}>
          <option value="">All queues</option>
          {queues.map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
      </label>
      <label>
        Stream
        <select value={value.streamId} onChange={(e) => onChange({ ...value, streamId: e.target.value })}>
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
        <select value={value.severity} onChange={(e) => onChange({ ...value, severity: e.target.value })}>
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
