import { HeaderMap } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { DomainError, ErrorCode, isErrorReason } from '../errors/domain-error';
import { graphqlHttpStatusOf, httpStatusOf } from './http-error.mapper';

/**
 * The one place where errors become GraphQL errors with `extensions.code` (and, when the error
 * says why, `extensions.reason`). Domain errors keep their code, reason and message; GraphQL's own
 * parse and validation errors (unknown fields, wrong types, limits) become BAD_USER_INPUT with
 * GraphQL's code as the reason; anything unexpected becomes INTERNAL_SERVER_ERROR with no detail
 * leaked.
 */
const USER_INPUT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

const PASS_THROUGH = new Set<string>(Object.values(ErrorCode));

export function formatGraphQLError(
  formatted: GraphQLFormattedError,
  error: unknown,
  logger: Logger,
  onCode: (code: string) => void,
): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const base = { locations: formatted.locations, path: formatted.path };

  if (original instanceof DomainError) {
    onCode(original.code);
    return { ...base, message: original.message, extensions: domainExtensions(original) };
  }

  const code = typeof formatted.extensions?.code === 'string' ? formatted.extensions.code : undefined;
  const isGraphQLOwn =
    original instanceof GraphQLError || !(error instanceof GraphQLError && error.originalError);
  if (code && isGraphQLOwn && USER_INPUT_CODES.has(code)) {
    onCode(ErrorCode.BAD_USER_INPUT);
    // A BAD_USER_INPUT raised as a GraphQLError may already say why (the WebSocket endpoint's
    // parse errors); GraphQL's own codes are the reason otherwise.
    const given = formatted.extensions?.reason;
    const reason = code === ErrorCode.BAD_USER_INPUT && isErrorReason(given) ? given : code;
    return {
      ...base,
      message: formatted.message,
      extensions: { code: ErrorCode.BAD_USER_INPUT, reason },
    };
  }
  if (code && isGraphQLOwn && PASS_THROUGH.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
    onCode(code);
    const { retryAfterSeconds, reason } = formatted.extensions ?? {};
    return {
      ...base,
      message: formatted.message,
      extensions: {
        code,
        ...(isErrorReason(reason) ? { reason } : {}),
        ...(typeof retryAfterSeconds === 'number' ? { retryAfterSeconds } : {}),
      },
    };
  }

  logger.error({ err: original, path: formatted.path }, 'unexpected error in GraphQL operation');
  onCode(ErrorCode.INTERNAL_SERVER_ERROR);
  return { ...base, message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
}

function domainExtensions(error: DomainError): Record<string, unknown> {
  const { fields, retryAfterSeconds, reason } = error.details;
  return {
    code: error.code,
    ...(reason ? { reason } : {}),
    ...(fields ? { fields } : {}),
    ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
  };
}

/**
 * A domain error raised before GraphQL runs (authenticating the request) refuses the whole request.
 * Apollo answers it with the HTTP status and headers given in `extensions.http`, so the status comes
 * from the same table here.
 */
export function toRequestGraphQLError(error: DomainError): GraphQLError {
  return new GraphQLError(error.message, {
    extensions: {
      ...domainExtensions(error),
      http: { status: httpStatusOf(error.code), headers: retryAfterHeaders(error.details.retryAfterSeconds) },
    },
  });
}

/**
 * The HTTP status and headers of a GraphQL response from its first error, or undefined to keep 200
 * (see graphqlHttpStatusOf). A rate-limited response says when to retry, as the plain routes do.
 */
export function graphqlResponseHead(
  errors: readonly GraphQLFormattedError[] | undefined,
): { status: number; headers: HeaderMap } | undefined {
  const first = errors?.[0];
  const status = graphqlHttpStatusOf(first?.extensions?.code);
  if (!status) return undefined;
  const retryAfterSeconds = first?.extensions?.retryAfterSeconds;
  return {
    status,
    headers: retryAfterHeaders(typeof retryAfterSeconds === 'number' ? retryAfterSeconds : undefined),
  };
}

function retryAfterHeaders(retryAfterSeconds: number | undefined): HeaderMap {
  const headers = new HeaderMap();
  if (retryAfterSeconds) headers.set('retry-after', String(retryAfterSeconds));
  return headers;
}
