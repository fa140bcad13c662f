import { useQuery } from 'urql';
import { usePolling } from '../../hooks/use-polling';
import { StreamListQuery } from './streams.documents';

/** How often the list refreshes its counters: the sampler updates them every few seconds. */
export const STREAMS_REFRESH_MS = 5000;

/** The tenant's streams with their counters, refreshed every few seconds. */
export function useStreams() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: StreamListQuery });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  usePolling(refresh, STREAMS_REFRESH_MS);
  return { streams: data?.streams.edges.map((edge) => edge.node), fetching, error, refresh };
}
