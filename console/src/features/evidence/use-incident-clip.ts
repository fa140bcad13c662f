import { useCallback } from 'react';
import { useQuery } from 'urql';
import { IncidentClipQuery } from './evidence.documents';

/**
 * An incident's clip with its signed URL. `renew` fetches a fresh URL (the signed one expires):
 * the player calls it when the video fails to load a range, which is how an expired URL shows.
 */
export function useIncidentClip(incidentId: string) {
  const [result, refetch] = useQuery({ query: IncidentClipQuery, variables: { incidentId } });
  const renew = useCallback(() => refetch({ requestPolicy: 'network-only' }), [refetch]);
  return {
    clip: result.data?.incident.clip ?? null,
    loaded: result.data !== undefined,
    fetching: result.fetching,
    error: result.error,
    renew,
  };
}
