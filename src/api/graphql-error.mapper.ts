import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { DomainError, ErrorCode } from '../errors/domain-error';

/**
 * The one place where errors become GraphQL errors with `extensions.code`. Domain errors keep their
 * code and message; GraphQL's own parse and validation errors (unknown fields, wrong types, limits)
 * become BAD_USER_INPUT; anything unexpected becomes INTERNAL_SERVER_ERROR with no detail leaked.
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
    return {
      ...base,
      message: original.message,
      extensions: {
        code: original.code,
        ...(original.details.fields ? { fields: original.details.fields } : {}),
        ...(original.details.retryAfterSeconds
          ? { retryAfterSeconds: original.details.retryAfterSeconds }
          : {}),
      },
    };
  }

  const code = typeof formatted.extensions?.code === 'string' ? formatted.extensions.code : undefined;
  const isGraphQLOwn =
    original instanceof GraphQLError || !(error instanceof GraphQLError && error.originalError);
  if (code && isGraphQLOwn && USER_INPUT_CODES.has(code)) {
    onCode(ErrorCode.BAD_USER_INPUT);
    return {
      ...base,
      message: formatted.message,
      extensions: { code: ErrorCode.BAD_USER_INPUT, reason: code },
    };
  }
  if (code && isGraphQLOwn && PASS_THROUGH.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
    onCode(code);
    const retryAfterSeconds = formatted.extensions?.retryAfterSeconds;
    return {
      ...base,
      message: formatted.message,
      extensions: { code, ...(typeof retryAfterSeconds === 'number' ? { retryAfterSeconds } : {}) },
    };
  }

  logger.error({ err: original, path: formatted.path }, 'unexpected error in GraphQL operation');
  onCode(ErrorCode.INTERNAL_SERVER_ERROR);
  return { ...base, message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
}
