import { useQuery } from 'urql';
import { usePolling } from '../../hooks/use-polling';
import { RunningOnStreamQuery } from './streams.documents';

/** How often to look for an analysis running on the stream. */
const RUNNING_POLL_MS = 3000;

/** The analysis running on a stream now, if any, looked for every few seconds. */
export function useRunningAnalysis(streamId: string) {
  const [{ data }, refetch] = useQuery({
    query: RunningOnStreamQuery,
    variables: { streamId },
    requestPolicy: 'network-only',
  });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  usePolling(refresh, RUNNING_POLL_MS);
  return { analysis: data?.stream.analyses.edges[0]?.node, refresh };
}
