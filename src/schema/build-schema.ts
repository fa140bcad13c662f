import 'reflect-metadata';
import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { authChecker } from '../api/auth-checker';
import { resolvers } from '../resolvers';

export function buildVigilSchema(): Promise<GraphQLSchema> {
  // Inputs are validated by the services (zod), which the CLI shares; no class-validator here.
  return buildSchema({ resolvers, authChecker, validate: false });
}

/** The SDL committed as src/schema/schema.graphql; a test fails when it drifts from the code. */
export async function printVigilSchema(): Promise<string> {
  return printSchema(lexicographicSortSchema(await buildVigilSchema())) + '\n';
}
