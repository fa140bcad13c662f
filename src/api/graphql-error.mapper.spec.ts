import { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import {
  badInput,
  conflict,
  DomainError,
  ErrorCode,
  ErrorReason,
  forbidden,
  notFound,
  rateLimited,
} from '../errors/domain-error';
import { formatGraphQLError, graphqlResponseHead, toRequestGraphQLError } from './graphql-error.mapper';

const LOCATIONS = [{ line: 2, column: 3 }];

/** What Apollo hands formatError: the error's JSON, with a code defaulting to INTERNAL_SERVER_ERROR. */
function apolloFormatted(error: GraphQLError): GraphQLFormattedError {
  const json = error.toJSON();
  const code = error.extensions.code ?? 'INTERNAL_SERVER_ERROR';
  return { ...json, locations: LOCATIONS, extensions: { ...json.extensions, code } };
}

/** A resolver error as graphql-js builds it: the thrown value wrapped with the field's path. */
function resolverError(thrown: Error, path: (string | number)[] = ['streams', 0, 'template']): GraphQLError {
  return new GraphQLError(thrown.message, { originalError: thrown, path });
}

function format(error: GraphQLError, formatted: GraphQLFormattedError = apolloFormatted(error)) {
  const logger = { error: jest.fn() };
  const onCode = jest.fn<void, [string]>();
  const result = formatGraphQLError(formatted, error, logger as unknown as Logger, onCode);
  return { result, logger, onCode };
}

describe('formatGraphQLError', () => {
  describe('domain errors', () => {
    it('keep their code, message and fields', () => {
      const domain = badInput([
        { field: 'input.sourceUrl', message: 'must not point at a link-local address' },
        { field: 'input.fps', message: 'too high' },
      ]);
      const { result, logger, onCode } = format(resolverError(domain, ['createStream']));
      expect(result).toEqual({
        locations: LOCATIONS,
        path: ['createStream'],
        message: 'input.sourceUrl: must not point at a link-local address; input.fps: too high',
        extensions: {
          code: 'BAD_USER_INPUT',
          fields: [
            { field: 'input.sourceUrl', message: 'must not point at a link-local address' },
            { field: 'input.fps', message: 'too high' },
          ],
        },
      });
      expect(onCode).toHaveBeenCalledWith('BAD_USER_INPUT');
      expect(onCode).toHaveBeenCalledTimes(1);
      expect(logger.error).not.toHaveBeenCalled();
    });

    it.each([
      ['NOT_FOUND', notFound('Stream'), 'Stream not found'],
      ['FORBIDDEN', forbidden(), 'Your role does not allow this operation'],
      ['CONFLICT', new DomainError(ErrorCode.CONFLICT, 'name taken'), 'name taken'],
      ['UNAUTHENTICATED', new DomainError(ErrorCode.UNAUTHENTICATED, 'Log in'), 'Log in'],
    ])('map %s to its code without extra extensions', (code, domain, message) => {
      const { result, onCode } = format(resolverError(domain, ['x']));
      expect(result).toEqual({ locations: LOCATIONS, path: ['x'], message, extensions: { code } });
      expect(onCode).toHaveBeenCalledWith(code);
    });

    it('carry retryAfterSeconds when rate limited', () => {
      const limited = new DomainError(ErrorCode.RATE_LIMITED, 'Too many requests', { retryAfterSeconds: 42 });
      const { result } = format(resolverError(limited, ['x']));
      expect(result.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 42 });
      expect(result.message).toBe('Too many requests');
    });
  });

  describe('reasons', () => {
    it('put a domain error’s reason in extensions.reason next to its code', () => {
      const { result, onCode } = format(
        resolverError(conflict('Already decided', 'ALREADY_RESOLVED'), ['x']),
      );
      expect(result).toEqual({
        locations: LOCATIONS,
        path: ['x'],
        message: 'Already decided',
        extensions: { code: 'CONFLICT', reason: 'ALREADY_RESOLVED' },
      });
      expect(onCode).toHaveBeenCalledWith('CONFLICT');
    });

    it('keep the reason together with fields and retryAfterSeconds', () => {
      const input = badInput([{ field: 'input.fps', message: 'exceeds the quota' }], ErrorReason.QUOTA);
      expect(format(resolverError(input, ['x'])).result.extensions).toEqual({
        code: 'BAD_USER_INPUT',
        reason: 'QUOTA',
        fields: [{ field: 'input.fps', message: 'exceeds the quota' }],
      });
      const limited = rateLimited('Too many requests', 7, ErrorReason.REQUEST_RATE);
      expect(format(resolverError(limited, ['x'])).result.extensions).toEqual({
        code: 'RATE_LIMITED',
        reason: 'REQUEST_RATE',
        retryAfterSeconds: 7,
      });
    });

    it('pass a known reason through from a coded GraphQLError, and drop an unknown one', () => {
      const known = new GraphQLError('Log in again', {
        extensions: { code: 'UNAUTHENTICATED', reason: 'CREDENTIAL_INVALID' },
      });
      expect(format(known).result.extensions).toEqual({
        code: 'UNAUTHENTICATED',
        reason: 'CREDENTIAL_INVALID',
      });
      const unknown = new GraphQLError('Nope', { extensions: { code: 'FORBIDDEN', reason: 'made up' } });
      expect(format(unknown).result.extensions).toEqual({ code: 'FORBIDDEN' });
    });

    it('keep the reason a BAD_USER_INPUT GraphQLError already gives', () => {
      const error = new GraphQLError('Syntax Error', {
        extensions: { code: 'BAD_USER_INPUT', reason: 'GRAPHQL_PARSE_FAILED' },
      });
      expect(format(error).result.extensions).toEqual({
        code: 'BAD_USER_INPUT',
        reason: 'GRAPHQL_PARSE_FAILED',
      });
    });

    it('survive the request-level conversion used while authenticating, with the status of the table', () => {
      const limited = toRequestGraphQLError(rateLimited('Too many requests', 3, ErrorReason.REQUEST_RATE));
      const { http, ...extensions } = limited.extensions as {
        http: { status: number; headers: Map<string, string> };
      };
      expect(extensions).toEqual({ code: 'RATE_LIMITED', reason: 'REQUEST_RATE', retryAfterSeconds: 3 });
      expect(http.status).toBe(429);
      expect([...http.headers]).toEqual([['retry-after', '3']]);
      const refused = toRequestGraphQLError(
        new DomainError(ErrorCode.UNAUTHENTICATED, 'Invalid or revoked API key', {
          reason: ErrorReason.CREDENTIAL_INVALID,
        }),
      );
      const refusedHttp = refused.extensions.http as { status: number; headers: Map<string, string> };
      expect(refusedHttp.status).toBe(401);
      expect([...refusedHttp.headers]).toEqual([]);
    });
  });

  describe('HTTP status of a GraphQL response', () => {
    it.each([
      ['UNAUTHENTICATED', 401],
      ['RATE_LIMITED', 429],
    ])('is set for %s, which refuses the whole request', (code, status) => {
      expect(graphqlResponseHead([{ message: 'x', extensions: { code } }])?.status).toBe(status);
    });

    it('says when to retry a rate-limited request', () => {
      const head = graphqlResponseHead([
        { message: 'x', extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 30 } },
      ]);
      expect([...head!.headers]).toEqual([['retry-after', '30']]);
    });

    it.each([
      'FORBIDDEN',
      'NOT_FOUND',
      'CONFLICT',
      'BAD_USER_INPUT',
      'INTERNAL_SERVER_ERROR',
      'SOMETHING_ELSE',
    ])('stays 200 for %s (a field failed, the response still answers)', (code) => {
      expect(graphqlResponseHead([{ message: 'x', extensions: { code } }])).toBeUndefined();
    });

    it('follows the first error and stays 200 without errors', () => {
      expect(graphqlResponseHead(undefined)).toBeUndefined();
      expect(graphqlResponseHead([])).toBeUndefined();
      expect(
        graphqlResponseHead([
          { message: 'a', extensions: { code: 'NOT_FOUND' } },
          { message: 'b', extensions: { code: 'RATE_LIMITED' } },
        ]),
      ).toBeUndefined();
    });
  });

  describe("GraphQL's own errors", () => {
    it.each([
      'GRAPHQL_VALIDATION_FAILED',
      'GRAPHQL_PARSE_FAILED',
      'BAD_REQUEST',
      'BAD_USER_INPUT',
      'PERSISTED_QUERY_NOT_SUPPORTED',
      'OPERATION_RESOLUTION_FAILURE',
    ])('%s becomes BAD_USER_INPUT with the reason and the message', (reason) => {
      const error = new GraphQLError('Cannot query field "nope" on type "Query".', {
        extensions: { code: reason },
      });
      const { result, logger, onCode } = format(error);
      expect(result).toEqual({
        locations: LOCATIONS,
        path: undefined,
        message: 'Cannot query field "nope" on type "Query".',
        extensions: { code: 'BAD_USER_INPUT', reason },
      });
      expect(onCode).toHaveBeenCalledWith('BAD_USER_INPUT');
      expect(logger.error).not.toHaveBeenCalled();
    });

    it('keeps a coded GraphQLError thrown inside a resolver', () => {
      const inner = new GraphQLError('Access denied', { extensions: { code: 'FORBIDDEN' } });
      const { result, logger } = format(resolverError(inner, ['users']));
      expect(result).toEqual({
        locations: LOCATIONS,
        path: ['users'],
        message: 'Access denied',
        extensions: { code: 'FORBIDDEN' },
      });
      expect(logger.error).not.toHaveBeenCalled();
    });

    it('keeps UNAUTHENTICATED from outside a resolver', () => {
      const error = new GraphQLError('Authentication required', { extensions: { code: 'UNAUTHENTICATED' } });
      expect(format(error).result.extensions).toEqual({ code: 'UNAUTHENTICATED' });
    });

    it('hides a GraphQLError that itself claims INTERNAL_SERVER_ERROR', () => {
      const error = new GraphQLError('relation "Stream" does not exist', {
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      const { result, logger } = format(error);
      expect(result.message).toBe('Internal server error');
      expect(logger.error).toHaveBeenCalledTimes(1);
    });
  });

  describe('unexpected errors', () => {
    it('become INTERNAL_SERVER_ERROR without leaking the message, and are logged', () => {
      const thrown = new Error('connect ECONNREFUSED 10.0.0.7:5432 password=hunter2');
      const error = resolverError(thrown, ['streams']);
      const { result, logger, onCode } = format(error);
      expect(result).toEqual({
        locations: LOCATIONS,
        path: ['streams'],
        message: 'Internal server error',
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(JSON.stringify(result)).not.toMatch(/ECONNREFUSED|hunter2|10\.0\.0\.7/);
      expect(onCode).toHaveBeenCalledWith('INTERNAL_SERVER_ERROR');
      expect(logger.error).toHaveBeenCalledTimes(1);
      const [fields, message] = logger.error.mock.calls[0] as [{ err: unknown; path: unknown }, string];
      expect(fields.err).toBe(thrown);
      expect(fields.path).toEqual(['streams']);
      expect(typeof message).toBe('string');
    });

    it('cannot borrow a user-input code from extensions on a non-GraphQL error', () => {
      // graphql-js copies `extensions` from the thrown value, so a library error could carry a code.
      const thrown = Object.assign(new Error('SELECT * FROM "User" failed'), {
        extensions: { code: 'BAD_USER_INPUT' },
      });
      const error = resolverError(thrown, ['users']);
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      const { result, logger } = format(error);
      expect(result).toEqual({
        locations: LOCATIONS,
        path: ['users'],
        message: 'Internal server error',
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(logger.error).toHaveBeenCalledTimes(1);
    });

    it('handle a formatted error without extensions or a non-Error value', () => {
      const { result, logger } = format(new GraphQLError('boom'), { message: 'boom' });
      expect(result).toEqual({
        locations: undefined,
        path: undefined,
        message: 'Internal server error',
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(logger.error).toHaveBeenCalledTimes(1);

      const logger2 = { error: jest.fn() };
      const onCode = jest.fn();
      const odd = formatGraphQLError(
        { message: 'x' },
        'a thrown string',
        logger2 as unknown as Logger,
        onCode,
      );
      expect(odd.message).toBe('Internal server error');
      expect(onCode).toHaveBeenCalledWith('INTERNAL_SERVER_ERROR');
    });
  });
});
