import { randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { NextFunction, Request, Response } from 'express';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { AppConfig } from '../config/config';
import type { PrismaClient } from '../db/prisma-client';
import { Permission } from '../auth/permissions';
import { tenantDb } from '../db/tenant-scoped-db';
import { projectRoot } from '../config/project-root';
import { DomainError, ErrorCode, ErrorReason } from '../errors/domain-error';
import { Metrics, rootFieldLabel } from '../metrics/metrics';
import { refuseDeepVariables, refuseOversizeBodies } from './request-body-guards';
import { metricsAllowed } from './metrics-access';
import { registerReportRoutes } from './report-routes';
import { CLIP_ROUTE, EVIDENCE_PACKAGE_ROUTE, registerEvidenceRoutes } from './evidence-routes';
import { buildVigilSchema } from './build-schema';
import type { Services } from '../composition/create-services';
import type { GraphQLContext } from '../resolvers/graphql-context';
import { formatGraphQLError, graphqlResponseHead, toRequestGraphQLError } from './graphql-error.mapper';
import { sendHttpError, sendRouteError } from './http-error.mapper';
import { credentialOf, RequestAuthenticator } from './request-authenticator';
import { graphqlLimitRules } from './graphql-limits';
import { attachSubscriptionServer, SubscriptionServer } from './subscription-server';
import { mountConsole } from './console-static';

export interface ApiDeps {
  config: AppConfig;
  prisma: PrismaClient;
  redis: Redis;
  services: Services;
  logger: Logger;
}

export interface ApiServer {
  httpServer: http.Server;
  /** GraphQL subscriptions (graphql-ws) on the same port, path /graphql. */
  subscriptions: SubscriptionServer;
  /** Starts listening; resolves with the port actually bound (PORT=0 picks a free one). */
  listen(): Promise<number>;
  /** Stops accepting requests and waits for those in flight. */
  stop(): Promise<void>;
}

const KNOWN_ROUTES = new Set(['/graphql', '/healthz', '/readyz', '/metrics']);

/** A fixed set of metric labels: raw paths would let any client create metric series without bound. */
function routeLabel(requestPath: string): string {
  if (KNOWN_ROUTES.has(requestPath)) return requestPath;
  if (requestPath.startsWith('/frames/')) return '/frames/:frameId';
  if (requestPath.startsWith('/reports/')) return '/reports/:kind/:file';
  if (requestPath.startsWith('/incidents/') && requestPath.endsWith('/clip.mp4')) return CLIP_ROUTE;
  if (requestPath.startsWith('/incidents/') && requestPath.endsWith('/evidence.zip'))
    return EVIDENCE_PACKAGE_ROUTE;
  if (requestPath.startsWith('/assets/')) return '/assets';
  return 'unmatched';
}

export async function createApiServer(deps: ApiDeps): Promise<ApiServer> {
  const { config, prisma, redis, services, logger } = deps;
  const metrics = new Metrics();
  const authenticator = new RequestAuthenticator({
    prisma,
    auth: services.auth,
    rateLimits: services.rateLimits,
  });
  const app = express();
  const httpServer = http.createServer(app);
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && /^[\w-]{1,64}$/.test(incoming) ? incoming : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      // Health checks and scrapes every few seconds would drown the log.
      autoLogging: { ignore: (req) => ['/healthz', '/readyz', '/metrics'].includes(req.url ?? '') },
      serializers: {
        // A GET query string may carry GraphQL variables (a password): log the path only.
        req: (req: {
          id: unknown;
          method: string;
          url: string;
          headers: object;
          remoteAddress?: string;
        }) => ({
          id: req.id,
          method: req.method,
          url: req.url.split('?')[0],
          headers: req.headers,
          remoteAddress: req.remoteAddress,
        }),
      },
    }),
  );

  app.use((req, res, next) => {
    const route = routeLabel(req.path);
    const end = metrics.httpDuration.startTimer({ method: req.method, route });
    res.on('finish', () => end({ status: String(res.statusCode) }));
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const checks = await Promise.allSettled([prisma.$queryRaw`SELECT 1`, redis.ping()]);
    const [database, cache] = checks.map((check) => (check.status === 'fulfilled' ? 'ok' : 'unreachable'));
    const ready = database === 'ok' && cache === 'ok';
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'not ready', postgres: database, redis: cache });
  });

  // Metrics tell load and errors by route and operation: for Prometheus (its bearer token), or
  // for a caller on this host when no token is set; anyone else gets 404.
  app.get('/metrics', async (req, res) => {
    if (!metricsAllowed(config.METRICS_TOKEN, req.headers.authorization, req.socket.remoteAddress)) {
      res.status(404).end();
      return;
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  // A frame's JPEG: by signed URL (what the API hands out in Frame.url, usable in <img>) or with a
  // bearer credential. Either way the frame is looked up only within the tenant that was proven.
  // A signed URL is not counted against a rate limit: it was handed out to a caller who was.
  app.get('/frames/:frameId', async (req, res) => {
    const frameId = req.params.frameId;
    try {
      const signed = services.windows.signer.verify(frameId, req.query as Record<string, unknown>);
      const db = signed
        ? tenantDb(prisma, signed.tenantId)
        : (
            await authenticator.authenticate(credentialOf(req.headers), {
              clientAddress: req.ip ?? 'unknown',
              permission: Permission.STREAMS_READ,
              missing: 'A signed URL or a credential is required',
            })
          ).db;
      const jpeg = await services.windows.frameBytes(db, frameId);
      res.type('image/jpeg').set('cache-control', 'private, max-age=900').send(jpeg);
    } catch (error) {
      sendRouteError(res, error, logger, 'frame request');
    }
  });

  // Reports as JSON and PDF downloads, with the same bearer credentials; PDFs render in a thread.
  registerReportRoutes(app, { services, logger, authenticator, pdfs: services.reportPdfs });
  // Incidents' clips (signed URL or credential, with Range requests) and evidence packages.
  registerEvidenceRoutes(app, { services, prisma, logger, authenticator });

  const schema = await buildVigilSchema();
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: config.GRAPHQL_INTROSPECTION,
    // "Did you mean" suggestions spell out the schema too: only where introspection is allowed.
    hideSchemaDetailsFromClientErrors: !config.GRAPHQL_INTROSPECTION,
    validationRules: graphqlLimitRules(config),
    parseOptions: { maxTokens: config.GRAPHQL_MAX_TOKENS },
    // Stack traces stay in the logs, never in responses.
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) =>
      formatGraphQLError(formatted, error, logger, (code) => metrics.graphqlErrors.inc({ code })),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Vigil sets no cache hints; the default plugin would still wrap every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      {
        async requestDidStart() {
          const end = metrics.graphqlDuration.startTimer();
          return {
            async willSendResponse(requestContext) {
              end({
                operation_type: requestContext.operation?.operation ?? 'unknown',
                root_field: rootFieldLabel(requestContext.operation),
              });
              const head =
                requestContext.response.body.kind === 'single'
                  ? graphqlResponseHead(requestContext.response.body.singleResult.errors)
                  : undefined;
              if (head && requestContext.response.http) {
                requestContext.response.http.status = head.status;
                for (const [name, value] of head.headers)
                  requestContext.response.http.headers.set(name, value);
              }
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  // Revocations published by other API processes reach this one's credential cache. The same
  // connection is the process's one subscriber for GraphQL subscriptions' channels.
  const revocationSubscriber = redis.duplicate();
  await services.credentials.listen(revocationSubscriber, logger);
  const subscriptions = await attachSubscriptionServer({
    httpServer,
    schema,
    config,
    prisma,
    redis,
    subscriber: revocationSubscriber,
    services,
    authenticator,
    logger,
  });

  app.use(
    '/graphql',
    refuseOversizeBodies(config.REQUEST_BODY_LIMIT_BYTES),
    express.json({ limit: config.REQUEST_BODY_LIMIT_BYTES }),
    refuseDeepVariables(),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const clientAddress = req.ip ?? 'unknown';
        const base = { requestId: String(req.id), clientAddress, services };
        // Without a credential the request is anonymous (login); @Authorized refuses the rest. It
        // costs the client address's budget for requests without a valid credential.
        const credential = credentialOf(req.headers);
        if (!credential) {
          await services.rateLimits.consumeUnverified(clientAddress).catch(toContextError);
          return base;
        }
        const { actor, db, loaders } = await authenticator
          .authenticate(credential, { clientAddress })
          .catch(toContextError);
        return { ...base, actor, db, loaders };
      },
    }),
  );

  mountConsole(app, config.CONSOLE_DIR || path.join(projectRoot(), 'dist', 'console'), logger);

  // Body-parser failures (malformed JSON, too large) answered in GraphQL's error shape.
  app.use(
    (error: Error & { type?: string; status?: number }, _req: Request, res: Response, next: NextFunction) => {
      if (res.headersSent) return next(error);
      if (error.type === 'entity.too.large') {
        return sendHttpError(
          res,
          ErrorCode.BAD_USER_INPUT,
          `Request body exceeds ${config.REQUEST_BODY_LIMIT_BYTES} bytes`,
          { status: 413, reason: ErrorReason.BODY_TOO_LARGE },
        );
      }
      if (error.type === 'entity.parse.failed') {
        return sendHttpError(res, ErrorCode.BAD_USER_INPUT, 'Request body is not valid JSON', {
          reason: ErrorReason.BODY_NOT_JSON,
        });
      }
      if (error.status && error.status < 500)
        return sendHttpError(res, ErrorCode.BAD_USER_INPUT, error.message, { status: error.status });
      logger.error({ err: error }, 'unhandled HTTP error');
      return sendHttpError(res, ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error');
    },
  );

  return {
    httpServer,
    subscriptions,
    listen: () =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.PORT, config.HOST, () => {
          const address = httpServer.address();
          resolve(typeof address === 'object' && address ? address.port : config.PORT);
        });
      }),
    stop: async () => {
      // WebSocket connections first: the HTTP drain would otherwise wait for them.
      await subscriptions.close();
      await apollo.stop();
      await revocationSubscriber.quit();
      await services.reportPdfs.dispose();
      await services.resultSchemas.dispose();
    },
  };
}

/**
 * Errors thrown while building the context bypass formatError's resolver path; Apollo answers them
 * with the GraphQLError's extensions and HTTP status.
 */
function toContextError(error: unknown): never {
  if (error instanceof DomainError) throw toRequestGraphQLError(error);
  throw error;
}
