/**
 * Child process of the benchmark: the baseline. The same query answered by plain graphql-js
 * (plain-schema.ts; `graphql()` per request: parse, validate, execute) over node:http, from the
 * same PostgreSQL with plain `pg`: the same SQL work Vigil does for this query, minus Vigil's
 * per-request authentication and rate-limit look-ups. There is NO authentication here: the tenant
 * is fixed by BENCH_TENANT_ID.
 */
import http from 'node:http';
import { graphql } from 'graphql';
import { Pool } from 'pg';
import { buildPlainSchema, createPlainContext } from './plain-schema';
import { runServerChild } from './protocol';

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
  const tenantId = process.env.BENCH_TENANT_ID;
  if (!databaseUrl || !tenantId) throw new Error('DATABASE_URL and BENCH_TENANT_ID must be set');
  // The same pool size Vigil's Prisma adapter uses (src/db/prisma-client.ts).
  const pool = new Pool({ connectionString: databaseUrl, max: 10 });
  const schema = buildPlainSchema();

  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/graphql') return send(res, 404, { error: 'not found' });
    readBody(req)
      .then(async (raw) => {
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
