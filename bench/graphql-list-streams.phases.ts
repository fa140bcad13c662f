/**
 * Where the CPU of one "50 streams with templates" request goes: each phase of the request run
 * alone, sequentially (no concurrency), with its CPU time per call. A companion to
 * graphql-list-streams.bench.ts for finding what dominates Vigil's cost; not a throughput figure.
 *
 *   npm run build && node dist/bench/graphql-list-streams.phases.js
 *
 * Uses (and recreates) the same database and Redis db as the benchmark (BENCH_DATABASE_URL,
 * BENCH_REDIS_URL); BENCH_PHASE_ITERATIONS (default 300) calls per phase after 100 warm-up calls.
 * The in-process phases count the CPU of this process (client side of pg/Redis included, the
 * PostgreSQL and Redis servers excluded); the HTTP phases count the CPU of the server child only.
 */
import 'reflect-metadata';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import DataLoader from 'dataloader';
import { execute, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { Pool } from 'pg';
import { createTenantContext, type GraphQLContext } from '../src/resolvers/graphql-context';
import { graphqlLimitRules } from '../src/api/graphql-limits';
import { loadConfig } from '../src/config/config';
import { createPrismaClient } from '../src/db/prisma-client';
import { tenantDb } from '../src/db/tenant-scoped-db';
import type { PromptTemplate, PromptTemplateVersion } from '../src/generated/prisma/client';
import { redactSourceUrl } from '../src/media/source-url';
import { createRedis } from '../src/redis/redis-client';
import { buildVigilSchema } from '../src/api/build-schema';
import { createServices } from '../src/composition/create-services';
import { BullJobQueue } from '../src/jobs/bullmq-job-queue';
import { seedBenchData } from './support/bench-data';
import { buildPlainSchema, createPlainContext } from './support/plain-schema';
import { LIST_STREAMS_QUERY } from './support/protocol';
import { startServerChild } from './support/server-child';

const ITERATIONS = Number(process.env.BENCH_PHASE_ITERATIONS) || 300;
const WARMUP = 100;

interface PhaseResult {
  name: string;
  cpuMs: number;
  wallMs: number;
}

const results: PhaseResult[] = [];

async function phase(name: string, call: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < WARMUP; i++) await call();
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) await call();
  const used = process.cpuUsage(cpu);
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  results.push({ name, cpuMs: (used.user + used.system) / 1000 / ITERATIONS, wallMs: wall / ITERATIONS });
  console.log(`  ${name}`);
}

function checked(schema: GraphQLSchema, source: string): DocumentNode {
  const document = parse(source);
  const errors = validate(schema, document);
  if (errors.length) throw new Error(`invalid query: ${errors.map((e) => e.message).join('; ')}`);
  return document;
}

async function mustSucceed(
  result: Promise<{ errors?: readonly unknown[] }> | { errors?: readonly unknown[] },
) {
  const settled = await result;
  if (settled.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(settled.errors)}`);
  return settled;
}

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: process.env.BENCH_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/vigil_bench',
    REDIS_URL: process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/14',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_API_KEY_PER_MINUTE: '100000000',
    RATE_LIMIT_SESSION_PER_MINUTE: '100000000',
  };
  console.log('Seeding ...');
  const data = await seedBenchData(env);
  const config = loadConfig(env);
  const prisma = createPrismaClient(config.DATABASE_URL);
  const redis = createRedis(config.REDIS_URL, { name: 'vigil-bench-phases' });
  const pool = new Pool({ connectionString: config.DATABASE_URL, max: 10 });
  const jobs = new BullJobQueue(redis, config);
  const services = createServices({ prisma, redis, config, jobs });
  try {
    const actor = await services.auth.authenticate(data.apiKey, '127.0.0.1');
    const db = tenantDb(prisma, data.tenantId);
    const vigilSchema = await buildVigilSchema();
    const plainSchema = buildPlainSchema();
    const vigilDocument = checked(vigilSchema, LIST_STREAMS_QUERY);
    const plainDocument = checked(plainSchema, LIST_STREAMS_QUERY);
    const vigilContext = (): GraphQLContext => ({
      requestId: 'bench',
      clientAddress: '127.0.0.1',
      services,
      ...createTenantContext(prisma, actor),
    });

    // Stub data for execution without I/O.
    const page = await services.streams.list(db, { first: 50 });
    const templateRows = await db.promptTemplate.findMany();
    const versionRows = await db.promptTemplateVersion.findMany();
    const byId = <T extends { id: string }>(rows: T[]) => new Map(rows.map((row) => [row.id, row]));
    const templatesById = byId(templateRows);
    const versionsById = byId(versionRows);
    const stubVigilContext = (): GraphQLContext =>
      ({
        requestId: 'bench',
        clientAddress: '127.0.0.1',
        services: { ...services, streams: { list: async () => page } },
        actor,
        db,
        loaders: {
          template: new DataLoader<string, PromptTemplate | null>(async (ids) =>
            ids.map((id) => templatesById.get(id) ?? null),
          ),
          templateVersion: new DataLoader<string, PromptTemplateVersion | null>(async (ids) =>
            ids.map((id) => versionsById.get(id) ?? null),
          ),
        },
      }) as unknown as GraphQLContext;
    const streamRows = await pool.query(
      `SELECT * FROM "Stream" WHERE "tenantId" = $1 ORDER BY "id" LIMIT 51`,
      [data.tenantId],
    );
    const templateResult = await pool.query(`SELECT * FROM "PromptTemplate"`);
    const versionResult = await pool.query(`SELECT * FROM "PromptTemplateVersion"`);
    const fakePool = {
      query: async (sql: string) =>
        sql.includes('"PromptTemplateVersion"')
          ? versionResult
          : sql.includes('"PromptTemplate"')
            ? templateResult
            : streamRows,
    } as unknown as Pool;

    // Apollo as app.ts configures it for execution, and the same without the cache-control plugin
    // (installed by default; it wraps every field resolver to compute cache hints Vigil never sets).
    const apolloOptions = {
      schema: vigilSchema,
      validationRules: graphqlLimitRules(config),
      parseOptions: { maxTokens: config.GRAPHQL_MAX_TOKENS },
    };
    const apollo = new ApolloServer<GraphQLContext>(apolloOptions);
    const apolloNoCacheControl = new ApolloServer<GraphQLContext>({
      ...apolloOptions,
      plugins: [ApolloServerPluginCacheControlDisabled()],
    });
    await Promise.all([apollo.start(), apolloNoCacheControl.start()]);

    const templateIds = [...new Set(page.edges.map((edge) => edge.node.templateId!))];
    const versionIds = templateRows.map((template) => template.activeVersionId!);

    console.log(`Phases (${ITERATIONS} sequential calls each, after ${WARMUP} warm-up calls):`);
    await phase('fixed cost of a query: pg SELECT 1', () => pool.query('SELECT 1'));
    await phase('fixed cost of a query: Prisma $queryRaw SELECT 1', () => prisma.$queryRaw`SELECT 1`);
    await phase('auth: services.auth.authenticate(API key) [Prisma findUnique]', () =>
      services.auth.authenticate(data.apiKey, '127.0.0.1'),
    );
    await phase('rate limit: services.rateLimits.consumeApiKey [Redis]', () =>
      services.rateLimits.consumeApiKey(actor.id),
    );
    await phase('streams page: services.streams.list (tenant-scoped Prisma)', () =>
      services.streams.list(db, { first: 50 }),
    );
    await phase('streams page: Prisma findMany without the tenant extension', () =>
      prisma.stream.findMany({ where: { tenantId: data.tenantId }, take: 51, orderBy: { id: 'asc' } }),
    );
    await phase('streams page: plain pg (same columns) + redactSourceUrl', async () => {
      const { rows } = await pool.query<{ sourceUrl: string }>(
        `SELECT * FROM "Stream" WHERE "tenantId" = $1 ORDER BY "id" LIMIT 51`,
        [data.tenantId],
      );
      return rows.map((row) => ({ ...row, sourceUrl: redactSourceUrl(row.sourceUrl) }));
    });
    await phase('templates + versions: tenant-scoped Prisma findMany x2', async () => {
      await db.promptTemplate.findMany({ where: { id: { in: templateIds } } });
      await db.promptTemplateVersion.findMany({ where: { id: { in: versionIds } } });
    });
    await phase('templates + versions: plain pg x2', async () => {
      await pool.query(`SELECT * FROM "PromptTemplate" WHERE "id" = ANY($1::uuid[]) AND "tenantId" = $2`, [
        templateIds,
        data.tenantId,
      ]);
      await pool.query(
        `SELECT * FROM "PromptTemplateVersion" WHERE "id" = ANY($1::uuid[]) AND "tenantId" = $2`,
        [versionIds, data.tenantId],
      );
    });
    await phase('execute, no I/O: Vigil schema (type-graphql, authChecker)', () =>
      mustSucceed(
        execute({ schema: vigilSchema, document: vigilDocument, contextValue: stubVigilContext() }),
      ),
    );
    await phase('execute, no I/O: plain graphql-js schema', () =>
      mustSucceed(
        execute({
          schema: plainSchema,
          document: plainDocument,
          contextValue: createPlainContext(fakePool, data.tenantId),
        }),
      ),
    );
    await phase('parse + validate the query (plain schema, what graphql() adds)', async () =>
      validate(plainSchema, parse(LIST_STREAMS_QUERY)),
    );
    await phase('execute with DB: Vigil schema + Prisma (no auth, no HTTP)', () =>
      mustSucceed(execute({ schema: vigilSchema, document: vigilDocument, contextValue: vigilContext() })),
    );
    await phase('execute with DB: plain schema + pg', () =>
      mustSucceed(
        execute({
          schema: plainSchema,
          document: plainDocument,
          contextValue: createPlainContext(pool, data.tenantId),
        }),
      ),
    );
    for (const [name, server] of [
      ['Apollo executeOperation: Vigil schema + Prisma (no auth, no HTTP)', apollo],
      ['  the same with ApolloServerPluginCacheControlDisabled()', apolloNoCacheControl],
    ] as const) {
      await phase(name, async () => {
        const response = await server.executeOperation(
          { query: LIST_STREAMS_QUERY },
          { contextValue: vigilContext() },
        );
        if (response.body.kind !== 'single' || response.body.singleResult.errors) {
          throw new Error('Apollo executeOperation failed');
        }
      });
    }
    const result = await execute({
      schema: plainSchema,
      document: plainDocument,
      contextValue: createPlainContext(pool, data.tenantId),
    });
    await phase('JSON.stringify of the response', async () => JSON.stringify(result));
    await Promise.all([apollo.stop(), apolloNoCacheControl.stop()]);

    // End to end over HTTP, one request at a time, CPU of the server child per request.
    const body = JSON.stringify({ query: LIST_STREAMS_QUERY });
    for (const [name, module, headers] of [
      [
        'HTTP end to end, server CPU: Vigil API (auth, rate limit, Express, Apollo, Prisma)',
        'vigil-api-server.js',
        { 'content-type': 'application/json', authorization: `Bearer ${data.apiKey}` },
      ],
      [
        'HTTP end to end, server CPU: plain graphql-js server',
        'plain-graphql-server.js',
        { 'content-type': 'application/json', authorization: `Bearer ${data.apiKey}` },
      ],
    ] as const) {
      const server = await startServerChild(path.join(__dirname, 'support', module), env);
      try {
        const url = `http://127.0.0.1:${server.port}/graphql`;
        const call = async () => {
          const response = await fetch(url, { method: 'POST', headers, body });
          if (response.status !== 200) throw new Error(`${name}: HTTP ${response.status}`);
          await response.text();
        };
        for (let i = 0; i < WARMUP; i++) await call();
        const cpu = await server.cpuMicros();
        const start = process.hrtime.bigint();
        for (let i = 0; i < ITERATIONS; i++) await call();
        const used = (await server.cpuMicros()) - cpu;
        const wall = Number(process.hrtime.bigint() - start) / 1e6;
        results.push({ name, cpuMs: used / 1000 / ITERATIONS, wallMs: wall / ITERATIONS });
        console.log(`  ${name}`);
      } finally {
        await server.stop();
      }
    }

    console.log('');
    console.log(`${'phase'.padEnd(84)}${'CPU ms'.padStart(8)}${'wall ms'.padStart(9)}`);
    for (const r of results) {
      console.log(`${r.name.padEnd(84)}${r.cpuMs.toFixed(3).padStart(8)}${r.wallMs.toFixed(3).padStart(9)}`);
    }
  } finally {
    await jobs.close();
    await Promise.allSettled([prisma.$disconnect(), redis.quit(), pool.end()]);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('Phase timing failed:', error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
