import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from 'urql';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';

export interface VigilClient {
  urql: Client;
  ws: WsClient;
  dispose(): void;
}

/**
 * One urql client per signed-in session: queries and mutations over HTTP, subscriptions over
 * graphql-ws on the same path. Both carry the session token; the API checks it on every request
 * and again for every subscription, so a logout or revoked session cuts the live feed too.
 * `requestPolicy: cache-and-network` keeps screens instant on revisit while still refreshing.
 */
export function createVigilClient(token: string, onUnauthenticated: () => void): VigilClient {
  const origin = window.location.origin;
  let connections = 0;
  const ws = createWsClient({
    url: `${origin.replace(/^http/, 'ws')}/graphql`,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: true,
    retryAttempts: Infinity,
    // 4401/4403: the credential is no longer valid; reconnecting would only fail again.
    shouldRetry: (event) => !(isCloseEvent(event) && [4401, 4403].includes(event.code)),
    on: {
      connected: () => {
        connections += 1;
        if (connections > 1) reconnections.dispatchEvent(new Event('reconnected'));
      },
      closed: (event) => {
        if (connections > 0) reconnections.dispatchEvent(new Event('disconnected'));
        if (isCloseEvent(event) && [4401, 4403].includes(event.code)) onUnauthenticated();
      },
    },
  });

  const urql = new Client({
    url: `${origin}/graphql`,
    requestPolicy: 'cache-and-network',
    // POST always: Apollo's CSRF protection refuses GET queries without a preflight header, and
    // variables (ids, filters) stay out of URLs and access logs.
    preferGetMethod: false,
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token}` } }),
    exchanges: [
      cacheExchange,
      // The API refused the token (logged out elsewhere, expired, the password changed or reset):
      // the session is over here too, as when the live connection is closed with 4401/4403.
      mapExchange({
        onError(error) {
          const refused = error.graphQLErrors.some(
            (graphQLError) =>
              graphQLError.extensions?.code === 'UNAUTHENTICATED' &&
              graphQLError.extensions?.reason === 'CREDENTIAL_INVALID',
          );
          if (refused) onUnauthenticated();
        },
      }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });

  return { urql, ws, dispose: () => void ws.dispose() };
}

function isCloseEvent(value: unknown): value is CloseEvent {
  return typeof value === 'object' && value !== null && 'code' in value;
}

const reconnections = new EventTarget();

/**
 * Calls `listener` each time the WebSocket connects again after a drop (graphql-ws retries by
 * itself and re-subscribes, but events published meanwhile are not replayed to the console).
 * Returns the function that stops listening.
 */
export function onReconnected(listener: () => void): () => void {
  reconnections.addEventListener('reconnected', listener);
  return () => reconnections.removeEventListener('reconnected', listener);
}

/** Calls `listener` each time the WebSocket drops (the console then says it is reconnecting). */
export function onDisconnected(listener: () => void): () => void {
  reconnections.addEventListener('disconnected', listener);
  return () => reconnections.removeEventListener('disconnected', listener);
}
