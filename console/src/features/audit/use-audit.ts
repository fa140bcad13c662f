import { useCallback, useMemo } from 'react';
import { useClient, useQuery } from 'urql';
import type { ResultOf, VariablesOf } from '../../api/graphql';
import { useConnectionPages } from '../../hooks/use-connection-pages';
import {
  AuditActorsQuery,
  AuditChainVerificationQuery,
  AuditEventsQuery,
  StartAuditChainVerificationMutation,
} from './audit.documents';

/** A verification job of the chain, as the server reports it while it runs and once done. */
export type ChainVerificationRun = ResultOf<
  typeof StartAuditChainVerificationMutation
>['startAuditChainVerification'];
export type ChainVerification = NonNullable<ChainVerificationRun['result']>;

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

/**
 * Starts a verification of the whole chain in a worker (or joins the one already running) and
 * reads its progress back: `start` answers the job, `read` its current state.
 */
export function useAuditChainVerificationJob() {
  const client = useClient();
  const start = useCallback(
    () => client.mutation(StartAuditChainVerificationMutation, {}).toPromise(),
    [client],
  );
  const read = useCallback(
    (verificationId: string) =>
      client
        .query(AuditChainVerificationQuery, { verificationId }, { requestPolicy: 'network-only' })
        .toPromise(),
    [client],
  );
  return { start, read };
}
