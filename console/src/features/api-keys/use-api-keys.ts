import { useQuery } from 'urql';
import { useMutationToast } from '../../hooks/use-mutation-toast';
import { ApiKeysQuery, CreateApiKeyMutation, RevokeApiKeyMutation } from './api-keys.documents';

/** The tenant's API keys (never their secrets). */
export function useApiKeys() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: ApiKeysQuery });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  return { apiKeys: data?.apiKeys.edges.map((edge) => edge.node), fetching, error, refresh };
}

/** Creates an API key; the answer carries its secret, shown once. */
export function useCreateApiKey(refresh?: () => void) {
  return useMutationToast(
    CreateApiKeyMutation,
    (result) => `API key “${result.createApiKey.apiKey.name}” created: copy its secret now`,
    refresh,
  );
}

export function useRevokeApiKey(refresh?: () => void) {
  return useMutationToast(
    RevokeApiKeyMutation,
    (result) => `API key “${result.revokeApiKey.name}” revoked`,
    refresh,
  );
}
