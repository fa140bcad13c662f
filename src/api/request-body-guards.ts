import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ErrorCode, ErrorReason } from '../errors/domain-error';
import { nestedDeeperThan } from '../util/json-depth';
import { sendHttpError } from './http-error.mapper';

/** Deepest nesting of objects and arrays accepted in GraphQL variables. */
const MAX_INPUT_DEPTH = 64;

/** How long a refused upload may keep its connection to read the answer before it is cut. */
const LINGER_MS = 1_000;

/**
 * Refuses a body larger than `limitBytes` as soon as that is known, without reading the rest:
 * at once when Content-Length says so, else when the bytes received pass the limit. The answer
 * (413, BAD_USER_INPUT / BODY_TOO_LARGE) closes the connection; the sender gets a moment to read
 * it, then the socket is destroyed, so a client cannot make the API read an unbounded upload.
 */
export function refuseOversizeBodies(limitBytes: number): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const refuse = () => {
      res.set('connection', 'close');
      sendHttpError(res, ErrorCode.BAD_USER_INPUT, `Request body exceeds ${limitBytes} bytes`, {
        status: 413,
        reason: ErrorReason.BODY_TOO_LARGE,
      });
      res.once('finish', () => {
        const socket = req.socket;
        socket.end();
        setTimeout(() => socket.destroy(), LINGER_MS).unref();
      });
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limitBytes) {
      // Whatever was sent is dropped unread until the socket goes.
      req.resume();
      return refuse();
    }
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding']) {
      let received = 0;
      const count = (chunk: Buffer) => {
        received += chunk.length;
        if (received <= limitBytes) return;
        req.off('data', count);
        req.unpipe();
        if (!res.headersSent) refuse();
      };
      // Listened to beside the body parser, which reads the same chunks.
      req.on('data', count);
    }
    next();
  };
}

/** Whether GraphQL variables nest deeper than MAX_INPUT_DEPTH (over HTTP and over WebSocket alike). */
export function variablesTooDeep(variables: unknown): boolean {
  return nestedDeeperThan(variables, MAX_INPUT_DEPTH);
}

export const VARIABLES_TOO_DEEP_MESSAGE = `Variables are nested deeper than ${MAX_INPUT_DEPTH} levels`;

/**
 * Refuses GraphQL variables nested deeper than MAX_INPUT_DEPTH (400, BAD_USER_INPUT /
 * INPUT_TOO_DEEP) before anything walks them recursively.
 */
export function refuseDeepVariables(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (variablesTooDeep((req.body as { variables?: unknown } | undefined)?.variables)) {
      sendHttpError(res, ErrorCode.BAD_USER_INPUT, VARIABLES_TOO_DEEP_MESSAGE, {
        reason: ErrorReason.INPUT_TOO_DEEP,
      });
      return;
    }
    next();
  };
}
