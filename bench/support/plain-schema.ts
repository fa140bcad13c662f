/**
 * The baseline's GraphQL layer: a hand-built graphql-js schema of the same shape as Vigil's
 * (streams connection, Stream, PromptTemplate, PromptTemplateVersion) whose resolvers read the same
 * rows with plain `pg`: one query for the page of streams (the columns Prisma reads, tenant filter,
 * ORDER BY id LIMIT first+1) and one batched query each for templates and active versions
 * (DataLoader, = ANY($1)); versions, which never change, are kept for the process as Vigil keeps
 * them. Source URLs are masked with Vigil's own redactSourceUrl, so the data is
 * exactly what Vigil returns.
 */
import DataLoader from 'dataloader';
import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLFloat,
  GraphQLID,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLNullableType,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import type { Pool } from 'pg';
import { redactSourceUrl } from '../../src/media/source-url';

export interface StreamRow {
  id: string;
  name: string;
  sourceUrl: string;
  kind: string;
  status: string;
  fps: number;
  maxWidth: number;
  templateId: string | null;
}

export interface TemplateRow {
  id: string;
  tenantId: string;
  name: string;
  description: string;
  activeVersionId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface VersionRow {
  id: string;
  templateId: string;
  version: number;
  modelName: string;
}

export interface PlainContext {
  tenantId: string;
  pool: Pool;
  templates: DataLoader<string, TemplateRow | null>;
  versions: DataLoader<string, VersionRow | null>;
}

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

// The same column lists Prisma's findMany (no `select`) reads for these models.
// What Vigil's list reads for this query's selection (the fields asked, the template's id).
const STREAM_COLUMNS = `"id","name","sourceUrl","kind","status","fps","maxWidth","templateId"`;
const TEMPLATE_COLUMNS = `"id","tenantId","name","description","activeVersionId","createdAt","updatedAt"`;
const VERSION_COLUMNS = `"id","tenantId","templateId","version","systemText","instructionText","resultSchema",
  "mode","modelName","temperature","topP","topK","presencePenalty","maxCompletionTokens",
  "thinkingTokenBudget","createdAt"`;

function byId<T extends { id: string }>(ids: readonly string[], rows: T[]): (T | null)[] {
  const map = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => map.get(id) ?? null);
}

function enumType(name: string, values: string[]): GraphQLEnumType {
  return new GraphQLEnumType({ name, values: Object.fromEntries(values.map((value) => [value, { value }])) });
}

const nonNull = <T extends GraphQLNullableType>(type: T): GraphQLNonNull<T> => new GraphQLNonNull(type);

export function buildPlainSchema(): GraphQLSchema {
  const versionType = new GraphQLObjectType<VersionRow, PlainContext>({
    name: 'PromptTemplateVersion',
    fields: {
      id: { type: nonNull(GraphQLID) },
      version: { type: nonNull(GraphQLInt) },
      modelName: { type: nonNull(GraphQLString) },
    },
  });
  const templateType = new GraphQLObjectType<TemplateRow, PlainContext>({
    name: 'PromptTemplate',
    fields: {
      id: { type: nonNull(GraphQLID) },
      name: { type: nonNull(GraphQLString) },
      description: { type: nonNull(GraphQLString) },
      activeVersion: {
        type: versionType,
        resolve: (template, _args, context) =>
          template.activeVersionId ? context.versions.load(template.activeVersionId) : null,
      },
    },
  });
  const streamType = new GraphQLObjectType<StreamRow, PlainContext>({
    name: 'Stream',
    fields: {
      id: { type: nonNull(GraphQLID) },
      name: { type: nonNull(GraphQLString) },
      sourceUrl: { type: nonNull(GraphQLString) },
      kind: { type: nonNull(enumType('StreamKind', ['RTSP', 'HLS', 'HTTP', 'FILE'])) },
      status: {
        type: nonNull(enumType('StreamStatus', ['ACTIVE', 'PAUSED', 'STOPPED', 'ERROR', 'ENDED'])),
      },
      lastError: { type: GraphQLString },
      fps: { type: nonNull(GraphQLFloat) },
      maxWidth: { type: nonNull(GraphQLInt) },
      template: {
        type: templateType,
        resolve: (stream, _args, context) =>
          stream.templateId ? context.templates.load(stream.templateId) : null,
      },
    },
  });
  const edgeType = new GraphQLObjectType({
    name: 'StreamEdge',
    fields: { cursor: { type: nonNull(GraphQLString) }, node: { type: nonNull(streamType) } },
  });
  const pageInfoType = new GraphQLObjectType({
    name: 'PageInfo',
    fields: { hasNextPage: { type: nonNull(GraphQLBoolean) }, endCursor: { type: GraphQLString } },
  });
  const connectionType = new GraphQLObjectType({
    name: 'StreamConnection',
    fields: {
      edges: { type: nonNull(new GraphQLList(nonNull(edgeType))) },
      pageInfo: { type: nonNull(pageInfoType) },
    },
  });
  const queryType = new GraphQLObjectType<unknown, PlainContext>({
    name: 'Query',
    fields: {
      streams: {
        type: nonNull(connectionType),
        args: { first: { type: GraphQLInt }, after: { type: GraphQLString } },
        resolve: async (_root, args: { first?: number | null; after?: string | null }, context) => {
          const size = Math.min(Math.max(args.first ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
          const after = args.after ? Buffer.from(args.after, 'base64url').toString('utf8') : null;
          const { rows } = await context.pool.query<StreamRow>(
            after
              ? `SELECT ${STREAM_COLUMNS} FROM "Stream" WHERE "tenantId" = $1 AND "id" > $3 ORDER BY "id" LIMIT $2`
              : `SELECT ${STREAM_COLUMNS} FROM "Stream" WHERE "tenantId" = $1 ORDER BY "id" LIMIT $2`,
            after ? [context.tenantId, size + 1, after] : [context.tenantId, size + 1],
          );
          const page = rows.slice(0, size);
          const cursor = (id: string) => Buffer.from(id, 'utf8').toString('base64url');
          return {
            edges: page.map((row) => ({
              cursor: cursor(row.id),
              node: { ...row, sourceUrl: redactSourceUrl(row.sourceUrl) },
            })),
            pageInfo: {
              hasNextPage: rows.length > size,
              endCursor: page.length ? cursor(page[page.length - 1]!.id) : null,
            },
          };
        },
      },
    },
  });
  return new GraphQLSchema({ query: queryType });
}

const knownVersions = new Map<string, VersionRow>();

export function createPlainContext(pool: Pool, tenantId: string): PlainContext {
  return {
    tenantId,
    pool,
    templates: new DataLoader(async (ids) => {
      const { rows } = await pool.query<TemplateRow>(
        `SELECT ${TEMPLATE_COLUMNS} FROM "PromptTemplate" WHERE "id" = ANY($1::uuid[]) AND "tenantId" = $2`,
        [[...ids], tenantId],
      );
      return byId(ids, rows);
    }),
    // Versions never change: kept by tenant and id for the process, as Vigil keeps them.
    versions: new DataLoader(async (ids) => {
      const key = (id: string) => `${tenantId}/${id}`;
      const missing = ids.filter((id) => !knownVersions.has(key(id)));
      if (missing.length > 0) {
        const { rows } = await pool.query<VersionRow>(
          `SELECT ${VERSION_COLUMNS} FROM "PromptTemplateVersion" WHERE "id" = ANY($1::uuid[]) AND "tenantId" = $2`,
          [missing, tenantId],
        );
        for (const row of rows) knownVersions.set(key(row.id), row);
      }
      return ids.map((id) => knownVersions.get(key(id)) ?? null);
    }),
  };
}
