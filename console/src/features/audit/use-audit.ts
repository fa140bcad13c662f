import { useCallback, useMemo } from 'react';
import { useClient, useQuery } from 'urql';
import type { ResultOf, VariablesOf } from '../../api/graphql';
import { useConnectionPages } from '../../hooks/use-connection-pages';
import { AuditActorsQuery, AuditEventsQuery, VerifyAuditChainQuery } from './audit.documents';

export type ChainVerification = ResultOf<typeof VerifyAuditChainQuery>['verifyAuditChain'];

const PAGE_SIZE = 50;

/** The audit log, newest first, page by page. */
export function useAuditEvents(filter: VariablesOf<typeof AuditEventsQuery>['filter']) {
  return useConnectionPages(AuditEventsQuery, { filter, first: PAGE_SIZE }, (data) => data.auditEvents);
}

/** Names of the actors (users by e-mail, API keys by name): a tenant's fit in one page each. */
export function useAuditActorNames(): Map<string, string> {
  const [{ data }] = useQuery({ query: AuditActorsQuery });
  return useMemo(() => {
    const names = new Map<string, string>();
    for (const edge of data?.users.edges ?? []) names.set(edge.node.id, edge.node.email);
    for (const edge of data?.apiKeys.edges ?? []) names.set(edge.node.id, `key “${edge.node.name}”`);
    return names;
  }, [data]);
}

/** Re-reads the whole chain on the server (on demand) and names the first broken event. */
export function useVerifyAuditChain() {
  const client = useClient();
  return useCallback(
    () => client.query(VerifyAuditChainQuery, {}, { requestPolicy: 'network-only' }).toPromise(),
    [client],
  );
}
