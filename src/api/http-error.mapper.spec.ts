import type { Response } from 'express';
import type { Logger } from 'pino';
import { conflict, DomainError, ErrorCode, ErrorReason, notFound, rateLimited } from '../errors/domain-error';
import { HTTP_STATUS, httpErrorBody, sendHttpError, sendRouteError } from './http-error.mapper';

/** Just enough of an Express response to see what a route answered. */
function fakeResponse() {
  const sent: { status?: number; body?: unknown; headers: Record<string, string> } = { headers: {} };
  const res = {
    status(code: number) {
      sent.status = code;
      return res;
    },
    json(body: unknown) {
      sent.body = body;
      return res;
    },
    set(name: string, value: string) {
      sent.headers[name] = value;
      return res;
    },
  };
  return { res: res as unknown as Response, sent };
}

const silentLogger = () => ({ error: jest.fn() });

describe('HTTP status table', () => {
  it('gives every error code a status', () => {
    expect(HTTP_STATUS).toEqual({
      BAD_USER_INPUT: 400,
      UNAUTHENTICATED: 401,
      FORBIDDEN: 403,
      NOT_FOUND: 404,
      CONFLICT: 409,
      RATE_LIMITED: 429,
      INTERNAL_SERVER_ERROR: 500,
    });
    for (const code of Object.values(ErrorCode)) expect(typeof HTTP_STATUS[code]).toBe('number');
  });
});

describe('sendRouteError', () => {
  it('answers a domain error with its status and GraphQL’s error shape', () => {
    const { res, sent } = fakeResponse();
    const logger = silentLogger();
    sendRouteError(res, notFound('Frame'), logger as unknown as Logger, 'frame request');
    expect(sent.status).toBe(404);
    expect(sent.body).toEqual({
      errors: [{ message: 'Frame not found', extensions: { code: 'NOT_FOUND' } }],
    });
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('puts the reason in the body', () => {
    const { res, sent } = fakeResponse();
    sendRouteError(res, conflict('taken', ErrorReason.DUPLICATE), silentLogger() as unknown as Logger, 'x');
    expect(sent.status).toBe(409);
    expect(sent.body).toEqual({
      errors: [{ message: 'taken', extensions: { code: 'CONFLICT', reason: 'DUPLICATE' } }],
    });
  });

  it('answers RATE_LIMITED with 429, Retry-After and retryAfterSeconds', () => {
    const { res, sent } = fakeResponse();
    sendRouteError(
      res,
      rateLimited('Too many requests for this API key; retry in 12 s', 12, ErrorReason.REQUEST_RATE),
      silentLogger() as unknown as Logger,
      'x',
    );
    expect(sent.status).toBe(429);
    expect(sent.headers['retry-after']).toBe('12');
    expect(sent.body).toEqual(
      httpErrorBody(ErrorCode.RATE_LIMITED, 'Too many requests for this API key; retry in 12 s', {
        reason: ErrorReason.REQUEST_RATE,
        retryAfterSeconds: 12,
      }),
    );
  });

  it('hides and logs anything that is not a domain error', () => {
    const { res, sent } = fakeResponse();
    const logger = silentLogger();
    const thrown = new Error('ENOENT /var/frames/secret');
    sendRouteError(res, thrown, logger as unknown as Logger, 'frame request');
    expect(sent.status).toBe(500);
    expect(sent.body).toEqual({
      errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
    });
    expect(logger.error).toHaveBeenCalledWith({ err: thrown }, 'frame request failed');
  });

  it('maps every code through the one table', () => {
    for (const code of Object.values(ErrorCode)) {
      const { res, sent } = fakeResponse();
      sendRouteError(res, new DomainError(code, 'm'), silentLogger() as unknown as Logger, 'x');
      expect({ code, status: sent.status }).toEqual({ code, status: HTTP_STATUS[code] });
    }
  });
});

describe('sendHttpError', () => {
  it('uses the table unless HTTP has a more precise status', () => {
    const parsed = fakeResponse();
    sendHttpError(parsed.res, ErrorCode.BAD_USER_INPUT, 'not JSON', { reason: ErrorReason.BODY_NOT_JSON });
    expect(parsed.sent.status).toBe(400);
    expect(parsed.sent.body).toEqual({
      errors: [{ message: 'not JSON', extensions: { code: 'BAD_USER_INPUT', reason: 'BODY_NOT_JSON' } }],
    });
    const large = fakeResponse();
    sendHttpError(large.res, ErrorCode.BAD_USER_INPUT, 'too large', { status: 413 });
    expect(large.sent.status).toBe(413);
  });
});
