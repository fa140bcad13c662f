import { useQuery } from 'urql';
import type { ResultOf } from '../../api/graphql';
import { useMutationToast } from '../../hooks/use-mutation-toast';
import { usePolling } from '../../hooks/use-polling';
import {
  ActivateInferenceNodeMutation,
  DrainInferenceNodeMutation,
  InferenceNodesQuery,
  RegisterInferenceNodeMutation,
  RemoveInferenceNodeMutation,
} from './gpu-nodes.documents';

export type InferenceNode = ResultOf<typeof InferenceNodesQuery>['inferenceNodes'][number];

/** How often the node list refreshes: workers report their view of the nodes every few seconds. */
export const NODES_REFRESH_MS = 5000;

/** The GPU nodes with health and load as the workers see them, refreshed every few seconds. */
export function useInferenceNodes() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: InferenceNodesQuery });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  usePolling(refresh, NODES_REFRESH_MS);
  return { nodes: data?.inferenceNodes, fetching, error, refresh };
}

export function useRegisterInferenceNode(refresh?: () => void) {
  return useMutationToast(
    RegisterInferenceNodeMutation,
    (result) => `Node ${result.registerInferenceNode.name} registered; workers use it at once`,
    refresh,
  );
}

export function useDrainInferenceNode(refresh?: () => void) {
  return useMutationToast(
    DrainInferenceNodeMutation,
    (result) => `Node ${result.drainInferenceNode.name} is draining`,
    refresh,
  );
}

export function useActivateInferenceNode(refresh?: () => void) {
  return useMutationToast(
    ActivateInferenceNodeMutation,
    (result) => `Node ${result.activateInferenceNode.name} gets work again`,
    refresh,
  );
}

export function useRemoveInferenceNode(refresh?: () => void) {
  return useMutationToast(RemoveInferenceNodeMutation, 'Node removed', refresh);
}
