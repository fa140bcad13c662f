import 'reflect-metadata';
import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema, getMetadataStorage, type PubSub } from 'type-graphql';
import { authChecker } from './auth-checker';
import { resolvers } from '../resolvers';

const noPubSub: PubSub = {
  publish: () => {
    throw new Error('Publish with publishEvent (src/pubsub/event-bus.ts)');
  },
  subscribe: () => {
    throw new Error('Subscriptions are served by the SubscriptionHub');
  },
};

/**
 * Plain fields of object types are read straight off their object (type-graphql's simple
 * resolvers) instead of through type-graphql's middleware chain, which costs an object and a
 * closure call per field per row and does nothing here: Vigil has no global middlewares, and its
 * permissions sit on queries, mutations and field resolvers. A simple field would skip a field-level
 * @Authorized or @UseMiddleware, so the build refuses one; a field renamed in the schema keeps
 * type-graphql's resolver (the default resolver reads the schema name).
 */
export function useSimpleResolvers(): void {
  const storage = getMetadataStorage();
  const objectClasses = new Set<unknown>(storage.objectTypes.map((type) => type.target));
  const guarded = [...storage.authorizedFields, ...storage.middlewares].filter((entry) =>
    objectClasses.has(entry.target),
  );
  if (guarded.length > 0) {
    const names = guarded.map((entry) => `${(entry.target as { name: string }).name}.${entry.fieldName}`);
    throw new Error(
      `Permissions or middlewares on object type fields: ${names.join(', ')}; use a field resolver`,
    );
  }
  for (const type of storage.objectTypes) {
    type.simpleResolvers ??= true;
    for (const field of type.fields ?? []) if (field.schemaName !== field.name) field.simple = false;
  }
}

export function buildVigilSchema(): Promise<GraphQLSchema> {
  useSimpleResolvers();
  // Inputs are validated by the services (zod), which the CLI shares; no class-validator here.
  // Subscriptions are served by the SubscriptionHub (each field's own `subscribe`), never by a
  // type-graphql PubSub; type-graphql still wants one declared.
  return buildSchema({ resolvers, authChecker, validate: false, pubSub: noPubSub });
}

/** The SDL committed as src/schema/schema.graphql; a test fails when it drifts from the code. */
export async function printVigilSchema(): Promise<string> {
  return printSchema(lexicographicSortSchema(await buildVigilSchema())) + '\n';
}
