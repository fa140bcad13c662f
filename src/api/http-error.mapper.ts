import type { Response } from 'express';
import type { Logger } from 'pino';
import { DomainError, ErrorCode, ErrorReason } from '../errors/domain-error';

/**
 * The one table from error code to HTTP status, for the API's plain routes (frames, reports,
 * malformed bodies) and for GraphQL responses. A `Record` over every code, so a new code cannot be
 * added without deciding its status here.
 */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.CONFLICT]: 409,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.INTERNAL_SERVER_ERROR]: 500,
};

/**
 * A GraphQL response keeps 200 when a field fails (the rest of the data is still an answer); only
 * errors that refuse the whole request before anything ran change the status, so that HTTP
 * clients, proxies and retry logic see them.
 */
const REFUSES_WHOLE_GRAPHQL_REQUEST: ReadonlySet<string> = new Set([
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.RATE_LIMITED,
]);

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

/** The status a GraphQL response takes for its first error's code, or undefined to keep 200. */
export function graphqlHttpStatusOf(code: unknown): number | undefined {
  return typeof code === 'string' && REFUSES_WHOLE_GRAPHQL_REQUEST.has(code)
    ? HTTP_STATUS[code as ErrorCode]
    : undefined;
}

export interface HttpErrorBody {
  errors: [
    { message: string; extensions: { code: ErrorCode; reason?: ErrorReason; retryAfterSeconds?: number } },
  ];
}

/** GraphQL's error shape, so a client reads every error of the API the same way. */
export function httpErrorBody(
  code: ErrorCode,
  message: string,
  extra: { reason?: ErrorReason; retryAfterSeconds?: number } = {},
): HttpErrorBody {
  return {
    errors: [
      {
        message,
        extensions: {
          code,
          ...(extra.reason ? { reason: extra.reason } : {}),
          ...(extra.retryAfterSeconds ? { retryAfterSeconds: extra.retryAfterSeconds } : {}),
        },
      },
    ],
  };
}

/**
 * Answers a request that failed outside any domain code (a bad body). `status` overrides the table
 * only where HTTP has a more precise status of its own for the same code (413 for a body too large).
 */
export function sendHttpError(
  res: Response,
  code: ErrorCode,
  message: string,
  options: { reason?: ErrorReason; status?: number } = {},
): void {
  res
    .status(options.status ?? HTTP_STATUS[code])
    .json(httpErrorBody(code, message, { reason: options.reason }));
}

/**
 * Answers a plain route's failure: a domain error with its status, code, reason and Retry-After;
 * anything else logged and answered 500 without detail.
 */
export function sendRouteError(res: Response, error: unknown, logger: Logger, what: string): void {
  if (!(error instanceof DomainError)) {
    logger.error({ err: error }, `${what} failed`);
    sendHttpError(res, ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error');
    return;
  }
  const { retryAfterSeconds, reason } = error.details;
  if (retryAfterSeconds) res.set('retry-after', String(retryAfterSeconds));
  res
    .status(HTTP_STATUS[error.code])
    .json(httpErrorBody(error.code, error.message, { reason, retryAfterSeconds }));
}
