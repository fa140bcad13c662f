import { useCallback, useEffect, useRef, useState } from 'react';
import { useClient } from 'urql';
import type { ResultOf } from '../../api/graphql';
import { useSubscriptionEvents } from '../../hooks/use-subscription-events';
import { ReasoningEventsSubscription, ReasoningSoFarQuery } from './analysis.documents';

type ReasoningEvent = ResultOf<typeof ReasoningEventsSubscription>['analysisReasoning'];

export interface LiveReasoning {
  text: string;
  attempt: number | null;
  node: string | null;
}

/**
 * Places one event on the text: an attempt starts afresh; a delta goes at its offset, so a delta
 * already contained in the text read from the API is skipped. Returns null when text is missing
 * before the delta (it arrived while the text so far was being read): the caller reads again.
 */
function applyEvent(current: LiveReasoning, event: ReasoningEvent): LiveReasoning | null {
  if (event.type === 'attempt') return { text: '', attempt: event.attempt ?? null, node: event.node ?? null };
  if (event.type !== 'delta' || !event.text) return current;
  const offset = event.offset ?? current.text.length;
  if (offset > current.text.length) return null;
  const end = offset + event.text.length;
  if (end <= current.text.length) return current;
  return { ...current, text: current.text + event.text.slice(current.text.length - offset) };
}

/**
 * The reasoning of a running analysis as it grows. The text so far is read from the API (the
 * worker keeps it) and the `analysisReasoning` deltas continue it, placed by their offsets; events
 * that arrive while the text is being read wait and are applied after it. A new attempt (a retry
 * on another node) starts the text afresh, as the model starts afresh. `onFinished` hears the end.
 */
export function useLiveReasoning(
  analysisId: string,
  running: boolean,
  onFinished?: () => void,
): LiveReasoning {
  const client = useClient();
  const [live, setLive] = useState<LiveReasoning>({ text: '', attempt: null, node: null });
  const current = useRef(live);
  /** Events held while the text so far is being read; null once it has been. */
  const waiting = useRef<ReasoningEvent[] | null>([]);

  const show = useCallback((next: LiveReasoning) => {
    current.current = next;
    setLive(next);
  }, []);

  const readSoFar = useCallback(async () => {
    waiting.current = [];
    const result = await client
      .query(ReasoningSoFarQuery, { analysisId }, { requestPolicy: 'network-only' })
      .toPromise();
    const held = waiting.current ?? [];
    waiting.current = null;
    let next: LiveReasoning = { ...current.current, text: result.data?.analysis.reasoning ?? '' };
    for (const event of held) next = applyEvent(next, event) ?? next;
    show(next);
  }, [client, analysisId, show]);

  useSubscriptionEvents(
    ReasoningEventsSubscription,
    { analysisId },
    (data) => {
      const event = data.analysisReasoning;
      if (event.type === 'end') return onFinished?.();
      if (waiting.current) return void waiting.current.push(event);
      const next = applyEvent(current.current, event);
      if (next) show(next);
      else void readSoFar();
    },
    { pause: !running },
  );

  useEffect(() => {
    if (running) void readSoFar();
  }, [running, readSoFar]);

  return live;
}
