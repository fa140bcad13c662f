import { useMemo } from 'react';
import { useQuery } from 'urql';
import { useConnectionPages } from '../../hooks/use-connection-pages';
import { IncidentListQuery, IncidentLookupsQuery } from './incidents.documents';

export type IncidentStatusFilter = 'OPEN' | 'CLOSED';

const PAGE_SIZE = 25;

/** Incidents, newest first, page by page, filtered by status and stream. */
export function useIncidents(status: IncidentStatusFilter | null, streamId: string | null) {
  return useConnectionPages(
    IncidentListQuery,
    { status, streamId, first: PAGE_SIZE },
    (data) => data.incidents,
  );
}

/** Stream and rule names by id, for the filter and the rows: a tenant's streams and rules fit in one page each. */
export function useIncidentLookups() {
  const [{ data }] = useQuery({ query: IncidentLookupsQuery });
  return useMemo(() => {
    const streams = data?.streams.edges.map((edge) => edge.node) ?? [];
    return {
      streams,
      streamName: new Map(streams.map((stream) => [stream.id, stream.name])),
      ruleName: new Map((data?.rules.edges ?? []).map((edge) => [edge.node.id, edge.node.name])),
    };
  }, [data]);
}
