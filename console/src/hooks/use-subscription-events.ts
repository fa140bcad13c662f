import { useEffect, useRef } from 'react';
import { useClient, type AnyVariables, type TypedDocumentNode } from 'urql';

/**
 * Calls `onEvent` for every event of a GraphQL subscription while the component is mounted (and
 * not paused). urql's useSubscription runs its handler inside a React state updater, where side
 * effects such as updating other state are not allowed and were seen to drop events; this hook
 * subscribes in an effect instead. `onError` hears a failed subscription (the server refused it, or
 * the connection closed for good).
 */
export function useSubscriptionEvents<Data, Variables extends AnyVariables>(
  document: TypedDocumentNode<Data, Variables>,
  variables: Variables,
  onEvent: (data: Data) => void,
  options: { pause?: boolean; onError?: (error: Error) => void } = {},
): void {
  const client = useClient();
  const handlers = useRef({ onEvent, onError: options.onError });
  handlers.current = { onEvent, onError: options.onError };
  const key = JSON.stringify(variables);
  useEffect(() => {
    if (options.pause) return;
    const { unsubscribe } = client
      .subscription(document, JSON.parse(key) as Variables)
      .subscribe((result) => {
        if (result.error) handlers.current.onError?.(result.error);
        else if (result.data) handlers.current.onEvent(result.data);
      });
    return unsubscribe;
  }, [client, document, key, options.pause]);
}
