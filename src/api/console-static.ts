import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';
import type { Logger } from 'pino';

/** Paths the API answers itself; everything else that asks for HTML is a console route. */
const API_PREFIXES = ['/graphql', '/frames/', '/reports/', '/healthz', '/readyz', '/metrics'];

/**
 * Serves the console build (Vite's output, `dist/console`) from the API's own origin, so the
 * console reaches GraphQL, subscriptions, frames and reports without CORS. Hashed assets are
 * cached for a year; index.html never, so a deploy is picked up at the next load. Client-side
 * routes (/queue, /review/…) get index.html. Without a build the API runs as before, minus the
 * console, and says so once.
 */
export function mountConsole(app: Express, consoleDir: string, logger: Logger): boolean {
  const indexHtml = path.join(consoleDir, 'index.html');
  if (!existsSync(indexHtml)) {
    logger.warn({ consoleDir }, 'console build not found: run `npm run build` to serve the console');
    return false;
  }
  const securityHeaders = (res: express.Response) => {
    res.setHeader(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    );
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'same-origin');
  };
  app.use(
    '/assets',
    express.static(path.join(consoleDir, 'assets'), {
      immutable: true,
      maxAge: '365d',
      index: false,
      fallthrough: false,
    }),
  );
  app.get(/.*/, (req, res, next) => {
    if (API_PREFIXES.some((prefix) => req.path === prefix || req.path.startsWith(prefix))) return next();
    // Only a browser's page navigation (Accept names text/html) gets the console; an API client's
    // unknown path stays a 404.
    if (!String(req.headers.accept ?? '').includes('text/html')) return next();
    securityHeaders(res);
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(indexHtml);
  });
  return true;
}
