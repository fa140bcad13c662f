import { useCallback, useEffect, useRef, useState } from 'react';
import { CombinedError, useClient, type AnyVariables, type TypedDocumentNode } from 'urql';

export interface ConnectionPage<Node> {
  edges: readonly { node: Node }[];
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
}

export interface ConnectionPages<Node> {
  nodes: Node[];
  /** True while the first page (or a reload) is on its way. */
  loading: boolean;
  /** True while a further page is on its way. */
  loadingMore: boolean;
  error: CombinedError | null;
  hasMore: boolean;
  /** Appends the next page; resolves with every node loaded so far (the current list when none is left). */
  loadMore(): Promise<Node[]>;
  reload(): void;
}

/**
 * A Relay connection read page by page ("Load more"): the first page again whenever the
 * variables change, further pages appended after the last cursor. Always from the network:
 * audit records and incidents are read to be checked, so a stale cached page would mislead.
 */
export function useConnectionPages<Data, Variables extends AnyVariables, Node>(
  query: TypedDocumentNode<Data, Variables>,
  variables: Omit<Variables, 'after'>,
  connectionOf: (data: Data) => ConnectionPage<Node>,
): ConnectionPages<Node> {
  const client = useClient();
  const key = JSON.stringify(variables);
  const [state, setState] = useState<{
    /** The variables these nodes were read with. */
    forKey: string | null;
    nodes: Node[];
    cursor: string | null;
    hasMore: boolean;
    loading: boolean;
    loadingMore: boolean;
    error: CombinedError | null;
  }>({
    forKey: null,
    nodes: [],
    cursor: null,
    hasMore: false,
    loading: true,
    loadingMore: false,
    error: null,
  });
  // Answers to an older set of variables (the filters changed meanwhile) are dropped.
  const generation = useRef(0);
  const latest = useRef(state);
  latest.current = state;
  const [reloads, setReloads] = useState(0);

  const fetchPage = useCallback(
    async (after: string | null) => {
      const result = await client
        .query(query, { ...variables, after } as unknown as Variables, { requestPolicy: 'network-only' })
        .toPromise();
      return result;
    },
    // `key` stands for the variables' content: a new object with the same filters is the same query.
    [client, query, key],
  );

  useEffect(() => {
    const mine = ++generation.current;
    setState((previous) => ({ ...previous, loading: true, error: null }));
    void fetchPage(null).then((result) => {
      if (mine !== generation.current) return;
      if (result.error || !result.data) {
        setState({
          forKey: key,
          nodes: [],
          cursor: null,
          hasMore: false,
          loading: false,
          loadingMore: false,
          error: result.error ?? new CombinedError({ networkError: new Error('No data') }),
        });
        return;
      }
      const page = connectionOf(result.data);
      setState({
        forKey: key,
        nodes: page.edges.map((edge) => edge.node),
        cursor: page.pageInfo.endCursor ?? null,
        hasMore: page.pageInfo.hasNextPage,
        loading: false,
        loadingMore: false,
        error: null,
      });
    });
  }, [fetchPage, reloads]);

  const loadMore = useCallback(async (): Promise<Node[]> => {
    const current = latest.current;
    if (!current.hasMore || current.loading || current.forKey !== key) return current.nodes;
    const mine = generation.current;
    setState((previous) => ({ ...previous, loadingMore: true }));
    const result = await fetchPage(current.cursor);
    if (mine !== generation.current) return latest.current.nodes;
    if (result.error || !result.data) {
      const error = result.error ?? new CombinedError({ networkError: new Error('No data') });
      setState((previous) => ({ ...previous, loadingMore: false, error }));
      return current.nodes;
    }
    const page = connectionOf(result.data);
    const nodes = [...current.nodes, ...page.edges.map((edge) => edge.node)];
    const next = {
      forKey: key,
      nodes,
      cursor: page.pageInfo.endCursor ?? null,
      hasMore: page.pageInfo.hasNextPage,
      loading: false,
      loadingMore: false,
      error: null,
    };
    latest.current = next;
    setState(next);
    return nodes;
  }, [fetchPage, key]);

  const reload = useCallback(() => setReloads((count) => count + 1), []);

  // Until the first page for these variables arrives, the nodes of the previous ones are not shown.
  const current = state.forKey === key;
  return {
    nodes: current ? state.nodes : [],
    loading: state.loading || !current,
    loadingMore: state.loadingMore,
    error: current ? state.error : null,
    hasMore: current && state.hasMore,
    loadMore,
    reload,
  };
}
