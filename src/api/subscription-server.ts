import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import {
  createSourceEventStream,
  ExecutionArgs,
  ExecutionResult,
  getOperationAST,
  GraphQLError,
  GraphQLSchema,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import { CloseCode } from 'graphql-ws';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';
import type { AppConfig } from '../config/config';
import type { PrismaClient } from '../db/prisma-client';
import type { Actor } from '../auth/permissions';
import { DomainError, ErrorCode, ErrorReason } from '../errors/domain-error';
import { HubTicket, SubscriptionHub } from './subscription-hub';
import type { Services } from '../composition/create-services';
import { createTenantContext, GraphQLContext } from '../resolvers/graphql-context';
import { formatGraphQLError } from './graphql-error.mapper';
import { graphqlLimitRules } from './graphql-limits';
import { requestClientAddress } from './request-address';
import { credentialOf, RequestAuthenticator } from './request-authenticator';
import { ReleaseSlot, SubscriptionAllowance } from './subscription-allowance';
import { VARIABLES_TOO_DEEP_MESSAGE, variablesTooDeep } from './request-body-guards';

// The project's moduleResolution (node) does not read package "exports": load the documented
// subpath at run time and take its types from the file it points to.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { useServer } = require('graphql-ws/use/ws') as typeof import('graphql-ws/dist/use/ws');

/**
 * GraphQL subscriptions over WebSocket (graphql-ws protocol) on the API's own port, path /graphql.
 *
 * connection_init carries `{ authorization: "Bearer <session token or API key>" }` (or an API key as
 * `{ "x-api-key": … }`), admitted exactly as an HTTP request (disabled users, revoked keys and
 * expired sessions refused: close 4401; rate limited: close 4429). Each subscribe is admitted again
 * and counted as one request against the credential's rate limit, and its replay as one more per
 * REPLAYED_EVENTS_PER_REQUEST events; a connection and a credential each hold a bounded number of
 * subscriptions (SubscriptionAllowance). Operations are parsed and validated with the HTTP limits
 * (tokens, depth, cost, aliases); only subscriptions are served here. Close codes: 4401
 * unauthenticated, 4403 credential revoked, 4008 subscriber too slow (reconnect with the last
 * cursor), 4429 rate limited.
 */
export const UNAUTHORIZED_CLOSE_CODE = CloseCode.Unauthorized;
export const RATE_LIMITED_CLOSE_CODE = 4429;

export interface SubscriptionServerDeps {
  httpServer: http.Server;
  schema: GraphQLSchema;
  config: AppConfig;
  prisma: PrismaClient;
  redis: Redis;
  /** The process's subscriber connection (shared with the credential cache). */
  subscriber: Redis;
  services: Services;
  /** The API's one admission path, as for HTTP requests: credential, rate limit, tenant. */
  authenticator: RequestAuthenticator;
  logger: Logger;
  /** Live events that may wait for one socket before it is dropped (4008). */
  bufferSize?: number;
}

export interface SubscriptionServer {
  hub: SubscriptionHub;
  /** Closes every socket (1001) and the WebSocket server. */
  close(): Promise<void>;
}

interface Extra extends Record<PropertyKey, unknown> {
  actor?: Actor;
  credential?: string;
  /** The connection's client address, read once at connection_init (see requestClientAddress). */
  clientAddress?: string;
}

/** Replayed events that count as one request against the credential's rate limit. */
export const REPLAYED_EVENTS_PER_REQUEST = 50;

/** Parse and validation errors, as the HTTP endpoint reports them (graphql-error.mapper.ts). */
const badInput = (message: string, reason: ErrorReason): GraphQLError =>
  new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, reason } });

export async function attachSubscriptionServer(deps: SubscriptionServerDeps): Promise<SubscriptionServer> {
  const { httpServer, schema, config, prisma, redis, subscriber, services, authenticator, logger } = deps;
  const hub = new SubscriptionHub(subscriber, redis, logger, {
    bufferSize: deps.bufferSize ?? 256,
    replayLimit: config.SUBSCRIPTION_REPLAY_LIMIT,
  });
  await hub.start();
  const rules = [...specifiedRules, ...graphqlLimitRules(config)];
  // Admitted subscriptions between onSubscribe (which starts them) and subscribe (which hands them
  // to graphql-ws), by their execution context.
  const served = new WeakMap<object, AsyncIterableIterator<ExecutionResult>>();
  const allowance = new SubscriptionAllowance({
    perConnection: config.SUBSCRIPTIONS_PER_CONNECTION,
    perCredential: config.SUBSCRIPTIONS_PER_CREDENTIAL,
  });
  const wss = new WebSocketServer({
    server: httpServer,
    path: '/graphql',
    maxPayload: config.REQUEST_BODY_LIMIT_BYTES,
  });
  // Subscribes still being admitted, by socket and operation id. graphql-ws ends a subscription
  // completed by its client during admission only once admission is over; its slot is given back
  // as soon as the complete message arrives, so the client's next subscribe finds it free.
  const admitting = new WeakMap<WebSocket, Map<string, ReleaseSlot>>();
  wss.on('connection', (socket) => {
    admitting.set(socket, new Map());
    socket.on('message', (data: Buffer) => {
      const pending = admitting.get(socket);
      if (!pending?.size) return;
      const id = completedOperationId(data);
      if (id !== null) pending.get(id)?.();
    });
  });

  /** GraphQL errors and refusals (DomainErrors) as the HTTP endpoint would report them. */
  const toErrors = (errors: readonly (GraphQLError | DomainError)[]): GraphQLError[] =>
    errors.map((error) => {
      const shown = error instanceof GraphQLError ? error.toJSON() : { message: error.message };
      const formatted = formatGraphQLError(shown, error, logger, () => undefined);
      return new GraphQLError(formatted.message, { extensions: formatted.extensions });
    });

  /**
   * Everything a subscribe needs before its first event: the credential checked again and counted
   * against its rate limit, the document parsed and validated with the HTTP limits, the field's
   * ticket, and the hub's subscriber (its replay charged to the same rate limit). Refusals are
   * returned as GraphQL errors.
   */
  const admit = async (
    extra: Extra & { socket: WebSocket; clientAddress: string },
    payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
    release: ReleaseSlot,
  ): Promise<GraphQLError[] | { args: ExecutionArgs; iterator: AsyncIterableIterator<ExecutionResult> }> => {
    const { credential, socket, clientAddress } = extra;
    let actor: Actor;
    try {
      // A credential revoked since connection_init is refused (the socket is closed too).
      ({ actor } = await authenticator.authenticate(credential, { clientAddress }));
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.RATE_LIMITED) return toErrors([error]);
      socket.close(UNAUTHORIZED_CLOSE_CODE, 'Unauthorized');
      return [new GraphQLError('Unauthorized', { extensions: { code: ErrorCode.UNAUTHENTICATED } })];
    }
    if (variablesTooDeep(payload.variables))
      return [badInput(VARIABLES_TOO_DEEP_MESSAGE, ErrorReason.INPUT_TOO_DEEP)];
    let document;
    try {
      document = parse(payload.query, { maxTokens: config.GRAPHQL_MAX_TOKENS });
    } catch (error) {
      return [
        badInput(error instanceof Error ? error.message : String(error), ErrorReason.GRAPHQL_PARSE_FAILED),
      ];
    }
    const validationErrors = validate(schema, document, rules);
    if (validationErrors.length > 0)
      return validationErrors.map((error) =>
        badInput(
          // As over HTTP: suggestions spell out the schema, so only where introspection is allowed.
          config.GRAPHQL_INTROSPECTION ? error.message : error.message.replace(/ Did you mean .+\?$/, ''),
          ErrorReason.GRAPHQL_VALIDATION_FAILED,
        ),
      );
    const operation = getOperationAST(document, payload.operationName);
    if (operation?.operation !== 'subscription') {
      return [
        new GraphQLError('Only subscriptions are served over WebSocket; send queries and mutations by HTTP', {
          extensions: { code: ErrorCode.BAD_USER_INPUT },
        }),
      ];
    }
    const contextValue: GraphQLContext = {
      requestId: randomUUID(),
      clientAddress,
      services,
      ...createTenantContext(prisma, actor),
    };
    const args: ExecutionArgs = {
      schema,
      document,
      operationName: payload.operationName,
      variableValues: payload.variables,
      contextValue,
    };
    const source = await createSourceEventStream(args);
    if (!(source instanceof HubTicket)) {
      return toErrors('errors' in source && source.errors ? source.errors : [new GraphQLError('Not served')]);
    }
    try {
      const iterator = await hub.serve(source, args, socket, {
        onEnd: () => {
          served.delete(contextValue);
          release();
        },
        chargeReplay: (events) =>
          events > 0
            ? authenticator.charge(actor, Math.ceil(events / REPLAYED_EVENTS_PER_REQUEST))
            : Promise.resolve(),
      });
      return { args, iterator };
    } catch (error) {
      if (error instanceof DomainError) return toErrors([error]);
      throw error;
    }
  };

  const disposable = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema,
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket;
        const credential = credentialOf(ctx.connectionParams);
        if (!credential) {
          socket.close(UNAUTHORIZED_CLOSE_CODE, 'Unauthorized: connection_init needs an authorization');
          return false;
        }
        const clientAddress = requestClientAddress(ctx.extra.request);
        try {
          const { actor } = await authenticator.authenticate(credential, { clientAddress });
          ctx.extra.actor = actor;
          ctx.extra.credential = credential;
          ctx.extra.clientAddress = clientAddress;
          hub.track(socket, actor);
          return true;
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          if (error.code === ErrorCode.RATE_LIMITED)
            socket.close(RATE_LIMITED_CLOSE_CODE, 'Too many requests');
          else socket.close(UNAUTHORIZED_CLOSE_CODE, `Unauthorized: ${error.message}`.slice(0, 120));
          return false;
        }
      },
      onSubscribe: async (ctx, id, payload) => {
        const { actor: connected, credential, socket, clientAddress } = ctx.extra;
        if (!connected || !credential || clientAddress === undefined)
          return [new GraphQLError('Unauthorized')];
        // The slot is taken before anything is awaited, so a burst of subscribes is counted in full.
        let release: ReleaseSlot;
        try {
          release = allowance.take(socket, connected);
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          return toErrors([error]);
        }
        const pending = admitting.get(socket);
        pending?.set(id, release);
        try {
          const admitted = await admit({ ...ctx.extra, clientAddress }, payload, release);
          if (Array.isArray(admitted)) {
            release();
            return admitted;
          }
          served.set(admitted.args.contextValue as object, admitted.iterator);
          return admitted.args;
        } catch (error) {
          release();
          throw error;
        } finally {
          pending?.delete(id);
        }
      },
      subscribe: async (args) => {
        const iterator = served.get(args.contextValue as object);
        if (!iterator) return { errors: [new GraphQLError('Not served')] };
        served.delete(args.contextValue as object);
        return iterator;
      },
      onClose: (ctx) => {
        hub.untrack(ctx.extra.socket);
      },
    },
    wss,
  );

  return {
    hub,
    close: async () => {
      await disposable.dispose();
    },
  };
}

/** The id of a graphql-ws `complete` message, or null for any other message. */
function completedOperationId(data: Buffer): string | null {
  // Most messages are subscribes and pings: only a message that can be a complete is parsed.
  if (data.length > 512 || !data.includes('"complete"')) return null;
  try {
    const message = JSON.parse(data.toString('utf8')) as { type?: unknown; id?: unknown };
    return message.type === 'complete' && typeof message.id === 'string' ? message.id : null;
  } catch {
    return null;
  }
}
