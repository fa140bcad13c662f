/*
 * The scene part of the demo's report line: what the latest window's tracks are, and which events
 * the windows finished since the last report found (an event is reported by one window only, so
 * they are counted once). Reads the stored result JSON, which older results may lack parts of.
 */

interface StoredResult {
  objects?: { label?: unknown; count?: unknown }[];
  tracks?: { label?: unknown }[];
  events?: { type?: unknown; zone?: unknown }[];
}

const asResult = (result: unknown): StoredResult =>
  result && typeof result === 'object' ? (result as StoredResult) : {};

/** `label xN` per label, most first (ties by label), e.g. `person x3, bicycle x1`. */
function tally(keys: string[]): string {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts]
    .sort(([a, m], [b, n]) => n - m || a.localeCompare(b))
    .map(([key, count]) => `${key} x${count}`)
    .join(', ');
}

/** The latest window's tracks, e.g. `4 tracks (person x4)`; `no tracks` when nothing was confirmed. */
export function describeTracks(result: unknown): string {
  const tracks = asResult(result).tracks;
  if (!Array.isArray(tracks) || tracks.length === 0) return 'no tracks';
  const labels = tracks.map((track) => (typeof track.label === 'string' ? track.label : 'object'));
  return `${tracks.length} track${tracks.length === 1 ? '' : 's'} (${tally(labels)})`;
}

/**
 * The events of several results, by type and zone, e.g. `enter lawn x2, dwell walkway x1`;
 * `no events` when there were none.
 */
export function describeEvents(results: unknown[]): string {
  const keys = results.flatMap((result) => {
    const events = asResult(result).events;
    return Array.isArray(events)
      ? events.map((event) =>
          [event.type, event.zone].filter((part) => typeof part === 'string' && part).join(' '),
        )
      : [];
  });
  return keys.length === 0 ? 'no events' : tally(keys);
}
