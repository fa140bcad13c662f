import { useQuery } from 'urql';
import type { ResultOf } from '../../api/graphql';
import { usePolling } from '../../hooks/use-polling';
import { useSubscriptionEvents } from '../../hooks/use-subscription-events';
import {
  LatestWindowQuery,
  StreamEventsSubscription,
  StreamStatusEventsSubscription,
  StreamViewQuery,
} from './streams.documents';

export type StreamView = ResultOf<typeof StreamViewQuery>['stream'];

/** How often the stream page re-reads the stream between events. */
const STREAM_POLL_MS = 3000;

/**
 * One stream with its recent analyses, kept current: re-read when an analysis completes or the
 * status changes, and every few seconds, since frames arrive and analyses start between events
 * (a started analysis is how the page finds reasoning to stream).
 */
export function useStream(streamId: string) {
  const [{ data, fetching, error }, refetch] = useQuery({
    query: StreamViewQuery,
    variables: { id: streamId },
  });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  useSubscriptionEvents(StreamEventsSubscription, { id: streamId }, refresh);
  useSubscriptionEvents(StreamStatusEventsSubscription, { id: streamId }, refresh);
  usePolling(refresh, STREAM_POLL_MS);
  return { stream: data?.stream, fetching, error, refresh };
}

/** A window's kept frames, with signed URLs. */
export function useWindowFrames(windowId: string) {
  const [{ data, fetching, error }, refetch] = useQuery({
    query: LatestWindowQuery,
    variables: { id: windowId },
  });
  return { window: data?.window, fetching, error, retry: () => refetch() };
}
