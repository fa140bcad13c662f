import { Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { TestApi } from './api-harness';

/** Test clients of the API's GraphQL subscriptions (graphql-ws over the API's port). */
export const PROTOCOL = 'graphql-transport-ws';

export const wsUrl = (api: TestApi): string => api.url.replace(/^http/, 'ws') + '/graphql';

export interface SubscriptionError {
  message: string;
  extensions?: { code?: string; reason?: string };
}

/** What one subscription received. */
export interface Received<T> {
  events: T[];
  errors: SubscriptionError[];
  /** Set when the server completed the subscription or refused it. */
  ended: boolean;
}

/** One graphql-ws connection, with the code it was closed with. */
export interface Connection {
  client: Client;
  closedCode?: number;
}

export interface Collected<T> extends Received<T> {
  closedCode?: number;
  client: Client;
}

/** A connection authenticated with `credential` in connection_init; never retries. */
export function connect(api: TestApi, credential: string): Connection {
  const connection = { closedCode: undefined } as Connection;
  connection.client = createClient({
    url: wsUrl(api),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${credential}` },
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
    on: {
      closed: (event) => {
        connection.closedCode = (event as { code?: number }).code;
      },
    },
  });
  return connection;
}

/** Subscribes on an open connection; events (the root field's value) and errors are collected. */
export function subscribeOn<T = Record<string, unknown>>(
  connection: Connection,
  query: string,
  variables: Record<string, unknown> = {},
): Received<T> {
  const received: Received<T> = { events: [], errors: [], ended: false };
  connection.client.subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        if (value.errors) received.errors.push(...(value.errors as SubscriptionError[]));
        const data = value.data as Record<string, T> | null | undefined;
        if (data) received.events.push(Object.values(data)[0]!);
      },
      error: (error) => {
        received.ended = true;
        if (Array.isArray(error)) received.errors.push(...(error as SubscriptionError[]));
        else received.errors.push({ message: String((error as { reason?: string }).reason ?? error) });
      },
      complete: () => {
        received.ended = true;
      },
    },
  );
  return received;
}

/** One connection carrying one subscription. */
export function subscribe<T = Record<string, unknown>>(
  api: TestApi,
  credential: string,
  query: string,
  variables: Record<string, unknown> = {},
): Collected<T> {
  const connection = connect(api, credential);
  const received = subscribeOn<T>(connection, query, variables);
  return Object.defineProperties(received as Collected<T>, {
    client: { value: connection.client },
    closedCode: { get: () => connection.closedCode },
  });
}

/** A raw socket: opens, sends connection_init, resolves with the close code. */
export function rawConnect(api: TestApi, payload: Record<string, unknown> | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl(api), PROTOCOL);
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload })));
    socket.on('close', (code) => resolve(code));
    socket.on('error', reject);
  });
}
