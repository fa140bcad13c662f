import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import {
  createSourceEventStream,
  ExecutionArgs,
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
import { credentialOf, RequestAuthenticator } from './request-authenticator';

// The project's moduleResolution (node) does not read package "exports": load the documented
// subpath at run time and take its types from the file it points to.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { useServer } = require('graphql-ws/use/ws') as typeof import('graphql-ws/dist/use/ws');

/**
 * GraphQL subscriptions over WebSocket (graphql-ws protocol) on the API's own port, path /graphql.
 *
 * connection_init carries `{ authorization: "Bearer <session token or API key>" }` (or an API key as
 * `{ "x-api-key": … }`), admitted exactly as an HTTP request (disabled users, revoked keys and
 * expired sessions refused: close 4401; rate limited: close 4429). Operations are parsed and validated with the HTTP limits (tokens, depth, cost,
 * aliases); only subscriptions are served here. Close codes: 4401 unauthenticated, 4403 credential
 * revoked, 4008 subscriber too slow (reconnect with the last cursor), 4429 rate limited.
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
}

interface Served {
  ticket: HubTicket;
  socket: WebSocket;
}

/** Parse and validation errors, as the HTTP endpoint reports them (graphql-error.mapper.ts). */
const badInput = (message: string, reason: ErrorReason): GraphQLError =>
  new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, reason } });

export async function attachSubscriptionServer(deps: SubscriptionServerDeps): Promise<SubscriptionServer> {
  const { httpServer, schema, config, prisma, redis, subscriber, services, authenticator, logger } = deps;
  const hub = new SubscriptionHub(subscriber, redis, logger, {
    bufferSize: deps.bufferSize ?? 256,
  });
  await hub.start();
  const rules = [...specifiedRules, ...graphqlLimitRules(config)];
  const served = new WeakMap<object, Served>();
  const wss = new WebSocketServer({
    server: httpServer,
    path: '/graphql',
    maxPayload: config.REQUEST_BODY_LIMIT_BYTES,
  });

  const toErrors = (errors: readonly GraphQLError[]): GraphQLError[] =>
    errors.map((error) => {
      const formatted = formatGraphQLError(error.toJSON(), error, logger, () => undefined);
      return new GraphQLError(formatted.message, { extensions: formatted.extensions });
    });

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
        try {
          const { actor } = await authenticator.authenticate(credential);
          ctx.extra.actor = actor;
          ctx.extra.credential = credential;
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
      onSubscribe: async (ctx, _id, payload) => {
        const { actor: connected, credential, socket } = ctx.extra;
        if (!connected || !credential) return [new GraphQLError('Unauthorized')];
        let actor: Actor;
        try {
          // A credential revoked since connection_init is refused (the socket is closed too).
          actor = await services.auth.authenticate(credential);
        } catch {
          socket.close(UNAUTHORIZED_CLOSE_CODE, 'Unauthorized');
          return [new GraphQLError('Unauthorized', { extensions: { code: ErrorCode.UNAUTHENTICATED } })];
        }
        let document;
        try {
          document = parse(payload.query, { maxTokens: config.GRAPHQL_MAX_TOKENS });
        } catch (error) {
          return [
            badInput(
              error instanceof Error ? error.message : String(error),
              ErrorReason.GRAPHQL_PARSE_FAILED,
            ),
          ];
        }
        const validationErrors = validate(schema, document, rules);
        if (validationErrors.length > 0)
          return validationErrors.map((error) =>
            badInput(error.message, ErrorReason.GRAPHQL_VALIDATION_FAILED),
          );
        const operation = getOperationAST(document, payload.operationName);
        if (operation?.operation !== 'subscription') {
          return [
            new GraphQLError(
              'Only subscriptions are served over WebSocket; send queries and mutations by HTTP',
              {
                extensions: { code: ErrorCode.BAD_USER_INPUT },
              },
            ),
          ];
        }
        const contextValue: GraphQLContext = {
          requestId: randomUUID(),
          clientAddress: ctx.extra.request.socket.remoteAddress ?? 'unknown',
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
          return toErrors(
            'errors' in source && source.errors ? source.errors : [new GraphQLError('Not served')],
          );
        }
        served.set(contextValue, { ticket: source, socket });
        return args;
      },
      subscribe: async (args) => {
        const entry = served.get(args.contextValue as object);
        if (!entry) return { errors: [new GraphQLError('Not served')] };
        return hub.serve(entry.ticket, args, entry.socket);
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
