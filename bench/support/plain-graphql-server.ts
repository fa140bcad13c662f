/**
 * Child process of the benchmark: the baseline. The same query answered by plain graphql-js
 * (plain-schema.ts; `graphql()` per request: parse, validate, execute) over node:http, from the
 * same PostgreSQL with plain `pg`: the same SQL work Vigil does for this query. Like Vigil it
 * authenticates each request by its API key (`Authorization: Bearer vgk_<prefix>_<secret>`): the
 * key's sha256 is looked up in this process's cache of keys verified before, else the key's row is
 * read by its prefix and its secret's hash compared. It has no rate limit, no logging and no
 * metrics; the tenant is the key's.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { graphql } from 'graphql';
import { Pool } from 'pg';
import { buildPlainSchema, createPlainContext } from './plain-schema';
import { runServerChild } from './protocol';

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/** The tenant of a valid, unrevoked API key in the request, or null. */
function apiKeyAuthenticator(pool: Pool): (req: http.IncomingMessage) => Promise<string | null> {
  const verified = new Map<string, string>();
  return async (req) => {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) return null;
    const key = header.slice('Bearer '.length);
    const digest = sha256(key).toString('hex');
    const cached = verified.get(digest);
    if (cached) return cached;
    const match = /^vgk_([0-9a-f]+)_(.+)$/.exec(key);
    if (!match) return null;
    const { rows } = await pool.query<{ tenantId: string; secretHash: string }>(
      'SELECT "tenantId", "secretHash" FROM "ApiKey" WHERE "prefix" = $1 AND "revokedAt" IS NULL',
      [match[1]],
    );
    const row = rows[0];
    if (!row || !timingSafeEqual(Buffer.from(row.secretHash, 'hex'), sha256(match[2]!))) return null;
    verified.set(digest, row.tenantId);
    return row.tenantId;
  };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(json);
}

runServerChild(async () => {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL must be set');
  // The same pool size Vigil's Prisma adapter uses (src/db/prisma-client.ts).
  const pool = new Pool({ connectionString: databaseUrl, max: 10 });
  const schema = buildPlainSchema();
  const authenticate = apiKeyAuthenticator(pool);

  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/graphql') return send(res, 404, { error: 'not found' });
    Promise.all([readBody(req), authenticate(req)])
      .then(async ([raw, tenantId]) => {
        if (!tenantId) return send(res, 401, { errors: [{ message: 'A valid API key is required' }] });
        let request: { query?: unknown; variables?: unknown };
        try {
          request = JSON.parse(raw) as typeof request;
        } catch {
          return send(res, 400, { errors: [{ message: 'Request body is not valid JSON' }] });
        }
        if (typeof request.query !== 'string') {
          return send(res, 400, { errors: [{ message: 'query must be a string' }] });
        }
        const result = await graphql({
          schema,
          source: request.query,
          variableValues: (request.variables ?? undefined) as Record<string, unknown> | undefined,
          contextValue: createPlainContext(pool, tenantId),
        });
        send(res, 200, result);
      })
      .catch((error: unknown) => {
        console.error('plain graphql server:', error);
        if (!res.headersSent) send(res, 500, { errors: [{ message: 'Internal server error' }] });
      });
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return {
    port,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  };
});
