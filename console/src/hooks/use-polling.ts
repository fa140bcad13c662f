import { useEffect, useRef } from 'react';

/**
 * Calls `poll` every `intervalMs` while the component is mounted: for counters and states that
 * change on the server without an event (frames sampled, node load, an analysis starting).
 */
export function usePolling(poll: () => void, intervalMs: number): void {
  const latest = useRef(poll);
  latest.current = poll;
  useEffect(() => {
    const timer = setInterval(() => latest.current(), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
}
